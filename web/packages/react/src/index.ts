// @parley/react — hooks, providers and small overridable components on top of
// @parley/core. Apps compose these and add their own skin.

export { ParleyProvider } from "./provider.tsx";
export type { ParleyProviderProps } from "./provider.tsx";
export { ParleyContext } from "./context.ts";
export {
  queryKeys,
  useConnection,
  useCreateRoom,
  useMembership,
  useMyRooms,
  useParleyClient,
  useRoom,
  useRoomCountsFollow,
  useRoomInfo,
  useRoomSearch,
  useStateStore,
} from "./hooks.ts";
export { I18nProvider, catalogs, createTranslator, format, pickLocale, useI18n } from "./i18n.tsx";
export type { Catalog, Locale, Translator } from "./i18n.tsx";
export { MessageList, findRow } from "./MessageList.tsx";
export type { ListItem, MessageListProps } from "./MessageList.tsx";
export { MessageItem } from "./MessageItem.tsx";
export type { MessageActions } from "./MessageItem.tsx";
export { MessageInput } from "./MessageInput.tsx";
export type { MessageInputProps } from "./MessageInput.tsx";
export { ConnectionBanner } from "./ConnectionBanner.tsx";
export type { ConnectionBannerProps } from "./ConnectionBanner.tsx";
export { TypingIndicator } from "./TypingIndicator.tsx";
