import { useEffect, useState, type ReactNode } from "react";
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import type { ParleyClient } from "@parley/core";
import { ParleyContext } from "./context.ts";
import { I18nProvider, type Catalog, type Locale } from "./i18n.tsx";

/** Props of ParleyProvider. */
export interface ParleyProviderProps {
  client: ParleyClient;
  /** locale override ("ko", "en"); default from the browser's languages */
  locale?: string | null;
  /** app-specific catalog entries merged over the shared ones */
  messages?: Partial<Record<Locale, Catalog>>;
  /** TanStack Query client; one is created when omitted */
  queryClient?: QueryClient;
  /** connect on mount and close on unmount (default true) */
  autoConnect?: boolean;
  children: ReactNode;
}

/** ParleyProvider makes a client, a query cache and translations available below it. */
export function ParleyProvider(props: ParleyProviderProps) {
  const [qc] = useState(() => props.queryClient ?? new QueryClient({ defaultOptions: { queries: { retry: 1, refetchOnWindowFocus: false } } }));
  const { client, autoConnect = true } = props;
  useEffect(() => {
    if (!autoConnect) return;
    client.connect();
  }, [client, autoConnect]);
  return (
    <QueryClientProvider client={qc}>
      <ParleyContext.Provider value={client}>
        <I18nProvider locale={props.locale ?? null} {...(props.messages ? { extra: props.messages } : {})}>
          {props.children}
        </I18nProvider>
      </ParleyContext.Provider>
    </QueryClientProvider>
  );
}
