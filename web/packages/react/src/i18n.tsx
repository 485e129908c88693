import { createContext, useContext, useMemo, type ReactNode } from "react";
import en from "./locales/en.json";
import ko from "./locales/ko.json";

/** Locales shipped with the shared components. */
export type Locale = "ko" | "en";

/** A flat message catalog: key -> ICU-like template ({name}, {n, plural, one {…} other {…}}). */
export type Catalog = Record<string, string>;

/** The built-in catalogs; apps merge their own keys over them. */
export const catalogs: Record<Locale, Catalog> = { en, ko };

/**
 * pickLocale chooses the UI language: an explicit override first, then the
 * browser's preferred languages (the same list it sends as Accept-Language),
 * then English.
 */
export function pickLocale(override?: string | null, preferred: readonly string[] = browserLanguages()): Locale {
  for (const tag of [override, ...preferred]) {
    const base = tag?.toLowerCase().split("-")[0];
    if (base === "ko" || base === "en") return base;
  }
  return "en";
}

function browserLanguages(): readonly string[] {
  const nav = (globalThis as { navigator?: Navigator }).navigator;
  return nav?.languages?.length ? nav.languages : nav?.language ? [nav.language] : [];
}

/** Translator formats messages, dates and times for one locale. */
export interface Translator {
  locale: Locale;
  t(key: string, vars?: Record<string, string | number>): string;
  time(ms: number): string;
  dateTime(ms: number): string;
  relative(ms: number, now?: number): string;
  number(n: number): string;
}

/** createTranslator builds a Translator over the built-in catalog plus extra keys. */
export function createTranslator(locale: Locale, extra: Partial<Record<Locale, Catalog>> = {}): Translator {
  const cat: Catalog = { ...catalogs.en, ...extra.en, ...catalogs[locale], ...extra[locale] };
  const plural = new Intl.PluralRules(locale);
  const timeFmt = new Intl.DateTimeFormat(locale, { hour: "numeric", minute: "2-digit" });
  const dateTimeFmt = new Intl.DateTimeFormat(locale, { dateStyle: "medium", timeStyle: "short" });
  const rel = new Intl.RelativeTimeFormat(locale, { numeric: "auto" });
  const num = new Intl.NumberFormat(locale);
  return {
    locale,
    t(key, vars = {}) {
      const tpl = cat[key] ?? key;
      return format(tpl, vars, plural, num);
    },
    time: (ms) => timeFmt.format(ms),
    dateTime: (ms) => dateTimeFmt.format(ms),
    relative(ms, now = Date.now()) {
      const s = Math.round((ms - now) / 1000);
      const abs = Math.abs(s);
      if (abs < 60) return rel.format(s, "second");
      if (abs < 3600) return rel.format(Math.round(s / 60), "minute");
      if (abs < 86400) return rel.format(Math.round(s / 3600), "hour");
      return rel.format(Math.round(s / 86400), "day");
    },
    number: (n) => num.format(n),
  };
}

/** format fills {name} placeholders and {n, plural, one {…} other {…}} blocks. */
export function format(tpl: string, vars: Record<string, string | number>, plural: Intl.PluralRules, num: Intl.NumberFormat): string {
  let out = "";
  let i = 0;
  while (i < tpl.length) {
    const open = tpl.indexOf("{", i);
    if (open < 0) {
      out += tpl.slice(i);
      break;
    }
    out += tpl.slice(i, open);
    const close = matching(tpl, open);
    const body = tpl.slice(open + 1, close);
    const [name = "", kind, ...rest] = body.split(",");
    const value = vars[name.trim()];
    if (kind?.trim() === "plural" && typeof value === "number") {
      const options = parseOptions(rest.join(","));
      const chosen = options[`=${value}`] ?? options[plural.select(value)] ?? options["other"] ?? "";
      out += format(chosen.replaceAll("#", num.format(value)), vars, plural, num);
    } else {
      out += value === undefined ? `{${body}}` : typeof value === "number" ? num.format(value) : value;
    }
    i = close + 1;
  }
  return out;
}

function matching(s: string, open: number): number {
  let depth = 0;
  for (let i = open; i < s.length; i++) {
    if (s[i] === "{") depth++;
    else if (s[i] === "}" && --depth === 0) return i;
  }
  return s.length - 1;
}

function parseOptions(s: string): Record<string, string> {
  const out: Record<string, string> = {};
  let i = 0;
  while (i < s.length) {
    const open = s.indexOf("{", i);
    if (open < 0) break;
    const key = s.slice(i, open).trim();
    const close = matching(s, open);
    out[key] = s.slice(open + 1, close);
    i = close + 1;
  }
  return out;
}

const I18nContext = createContext<Translator>(createTranslator("en"));

/** I18nProvider gives the components below it their language. */
export function I18nProvider(props: { locale?: string | null; extra?: Partial<Record<Locale, Catalog>>; children: ReactNode }) {
  const locale = pickLocale(props.locale);
  const tr = useMemo(() => createTranslator(locale, props.extra), [locale, props.extra]);
  return <I18nContext.Provider value={tr}>{props.children}</I18nContext.Provider>;
}

/** useI18n returns the current Translator. */
export function useI18n(): Translator {
  return useContext(I18nContext);
}
