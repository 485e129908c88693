import { describe, expect, it } from "vitest";
import { catalogs, createTranslator, pickLocale } from "./i18n.tsx";

describe("i18n", () => {
  it("picks the override, then the browser's languages, then English", () => {
    expect(pickLocale("en", ["ko-KR"])).toBe("en");
    expect(pickLocale(null, ["fr-FR", "ko-KR", "en"])).toBe("ko");
    expect(pickLocale(undefined, ["de"])).toBe("en");
  });

  it("has the same keys in every locale", () => {
    expect(Object.keys(catalogs.ko).sort()).toEqual(Object.keys(catalogs.en).sort());
  });

  it("fills placeholders and plurals", () => {
    const en = createTranslator("en");
    expect(en.t("typing.one", { name: "Bob" })).toBe("Bob is typing…");
    expect(en.t("messages.newCount", { count: 1 })).toBe("1 new message");
    expect(en.t("messages.newCount", { count: 1200 })).toBe("1,200 new messages");
    const ko = createTranslator("ko");
    expect(ko.t("messages.newCount", { count: 3 })).toBe("새 메시지 3개");
    expect(ko.t("no.such.key")).toBe("no.such.key");
  });

  it("localizes times", () => {
    const at = Date.UTC(2025, 0, 2, 15, 4);
    expect(createTranslator("ko").dateTime(at)).toMatch(/2025/);
    expect(createTranslator("en").relative(Date.now() - 120_000)).toBe("2 minutes ago");
    expect(createTranslator("ko").relative(Date.now() - 120_000)).toBe("2분 전");
  });
});
