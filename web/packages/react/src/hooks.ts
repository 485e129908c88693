import { useCallback, useContext, useEffect, useRef, useSyncExternalStore } from "react";
import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import type { ClientSnapshot, ParleyClient, RoomInfo, RoomPage, RoomState, StateStore } from "@parley/core";
import { ParleyContext } from "./context.ts";

/**
 * useStateStore subscribes a component to a StateStore. With a selector, the
 * component re-renders only when the selected value changes (Object.is), so
 * pass selectors that return stored objects or primitives, not new objects.
 */
export function useStateStore<T>(store: StateStore<T>): T;
export function useStateStore<T, S>(store: StateStore<T>, selector: (state: T) => S): S;
export function useStateStore<T, S>(store: StateStore<T>, selector?: (state: T) => S): T | S {
  const sel = selector ?? ((s: T) => s as unknown as S);
  const getSnapshot = useCallback(() => sel(store.getSnapshot()), [store, sel]);
  return useSyncExternalStore(store.subscribe, getSnapshot, getSnapshot);
}

/** useParleyClient returns the client of the nearest ParleyProvider. */
export function useParleyClient(): ParleyClient {
  const c = useContext(ParleyContext);
  if (!c) throw new Error("useParleyClient: no <ParleyProvider> above this component");
  return c;
}

/** useConnection returns the client-wide snapshot (connection state, user). */
export function useConnection(): ClientSnapshot {
  const client = useParleyClient();
  return useStateStore(client.state);
}

/**
 * useRoom opens a room (newest history page, then a live subscription that
 * resumes across reconnects) while the component is mounted, and returns its
 * state. `enabled: false` only reads the state (e.g. before joining).
 */
export function useRoom(roomId: string, opts: { enabled?: boolean; onError?: (err: unknown) => void } = {}): RoomState {
  const client = useParleyClient();
  const enabled = opts.enabled ?? true;
  const onError = useRef(opts.onError);
  onError.current = opts.onError;
  useEffect(() => {
    if (!enabled) return;
    let active = true;
    client.openRoom(roomId).catch((err: unknown) => {
      if (active) onError.current?.(err);
    });
    return () => {
      active = false;
      client.unsubscribe(roomId);
    };
  }, [client, roomId, enabled]);
  return useStateStore(client.room(roomId));
}

/** Query keys used by the hooks, for invalidation by apps. */
export const queryKeys = {
  rooms: (q: string, tag: string) => ["parley", "rooms", q, tag] as const,
  room: (id: string) => ["parley", "room", id] as const,
  myRooms: () => ["parley", "myRooms"] as const,
  me: () => ["parley", "me"] as const,
};

/** useRoomSearch lists open rooms matching q (title) and tag, most active first, paged. */
export function useRoomSearch(q: string, tag = "", pageSize = 30) {
  const client = useParleyClient();
  return useInfiniteQuery({
    queryKey: queryKeys.rooms(q, tag),
    queryFn: ({ pageParam }) =>
      client.api.listRooms({ q: q || undefined, tag: tag || undefined, limit: pageSize, cursor: pageParam || undefined }),
    initialPageParam: "",
    getNextPageParam: (last: RoomPage) => last.next || undefined,
    select: (data) => {
      const seen = new Set<string>();
      const rooms: RoomInfo[] = [];
      for (const p of data.pages) for (const r of p.rooms) if (!seen.has(r.id) && seen.add(r.id)) rooms.push(r);
      rooms.sort((a, b) => b.lastActivity - a.lastActivity);
      return rooms;
    },
    staleTime: 10_000,
    // Member and online counts drift while the list is on screen.
    refetchInterval: 30_000,
  });
}

/**
 * useRoomCountsFollow refetches the room lists and a room's details when a
 * live join or leave arrives in a room this client follows, so member
 * counts on screen stay current.
 */
export function useRoomCountsFollow(): void {
  const client = useParleyClient();
  const qc = useQueryClient();
  useEffect(
    () =>
      client.on("message", ({ message: m, live }) => {
        if (!live || m.kind !== "system" || (m.event !== "join" && m.event !== "leave")) return;
        void qc.invalidateQueries({ queryKey: ["parley", "rooms"] });
        void qc.invalidateQueries({ queryKey: queryKeys.myRooms() });
        void qc.invalidateQueries({ queryKey: queryKeys.room(m.room) });
      }),
    [client, qc],
  );
}

/** useRoomInfo fetches one room's details. */
export function useRoomInfo(roomId: string) {
  const client = useParleyClient();
  return useQuery({ queryKey: queryKeys.room(roomId), queryFn: () => client.api.getRoom(roomId), staleTime: 10_000 });
}

/** useMyRooms lists the rooms the user is a member of. */
export function useMyRooms() {
  const client = useParleyClient();
  return useQuery({ queryKey: queryKeys.myRooms(), queryFn: () => client.api.myRooms(), staleTime: 10_000 });
}

/** useCreateRoom creates an open room and refreshes the lists. */
export function useCreateRoom() {
  const client = useParleyClient();
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (room: { title: string; topic?: string; tags?: string[] }) => client.api.createRoom(room),
    onSuccess: () => qc.invalidateQueries({ queryKey: ["parley"] }),
  });
}

/** useMembership joins or leaves a room and refreshes the lists. */
export function useMembership(roomId: string) {
  const client = useParleyClient();
  const qc = useQueryClient();
  const join = useMutation({
    mutationFn: () => client.join(roomId),
    onSuccess: () => qc.invalidateQueries({ queryKey: ["parley"] }),
  });
  const leave = useMutation({
    mutationFn: () => client.leave(roomId),
    onSuccess: () => qc.invalidateQueries({ queryKey: ["parley"] }),
  });
  return { join, leave };
}
