import { ErrorCode } from "./codes.ts";

/** ParleyError is every failure the SDK reports: a stable wire code, a human
 * message, and whether retrying the same request may succeed. */
export class ParleyError extends Error {
  override readonly name = "ParleyError";
  constructor(
    readonly code: ErrorCode | string,
    message: string,
    readonly temporary = false,
    /** HTTP status for REST failures, 0 for socket ones. */
    readonly status = 0,
  ) {
    super(message);
  }
}

/** isTemporary reports whether err is worth retrying unchanged. */
export function isTemporary(err: unknown): boolean {
  if (err instanceof ParleyError) return err.temporary;
  return false;
}

/** The error a request gets when its socket goes away before the answer. */
export function connectionLost(): ParleyError {
  return new ParleyError(ErrorCode.Unavailable, "connection lost", true);
}
