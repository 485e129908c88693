package demohost

import (
	"html/template"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/parley-chat/parley/internal/chat"
)

// providers stand in for the OAuth logins a real host offers.
var providers = map[string]string{"tid": "T-ID", "kakao": "KakaoTalk"}

var pageTmpl = template.Must(template.New("page").Parse(`<!doctype html>
<html lang="ko"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Ogle Ogle · 데모 호스트 Demo host</title>
<style>
body{font-family:system-ui,sans-serif;max-width:44rem;margin:2rem auto;padding:0 1rem;color:#222}
header{display:flex;justify-content:space-between;align-items:center;border-bottom:1px solid #ddd;padding-bottom:.5rem}
.en{color:#666;font-size:.9em}
button,.button{display:inline-block;padding:.55rem 1rem;border-radius:6px;border:0;cursor:pointer;font-size:1rem;text-decoration:none;margin:.25rem .25rem .25rem 0}
.tid{background:#3617ce;color:#fff}.kakao{background:#fee500;color:#191919}.primary{background:#2b6cb0;color:#fff}.plain{background:#eee;color:#222}
input{padding:.5rem;font-size:1rem;border:1px solid #bbb;border-radius:6px}
.moves button{font-size:2rem;background:#f4f4f4}
#result{font-size:1.2rem;min-height:1.5em}
iframe{width:100%;height:420px;border:1px solid #ccc;border-radius:8px}
.note{background:#fff8e1;padding:.5rem 1rem;border-radius:6px}
</style></head><body>
<header><strong>Ogle Ogle <span class="en">— 데모 호스트 · demo host</span></strong>
{{with .User}}<form method="post" action="/signout">{{.Nickname}} ({{.Provider}}) <button class="plain">로그아웃 <span class="en">Sign out</span></button></form>{{end}}
</header>
{{template "body" .}}
</body></html>`))

var homeTmpl = template.Must(template.Must(pageTmpl.Clone()).Parse(`{{define "body"}}
{{if .User}}
<h1>안녕하세요, {{.User.Nickname}}님 <span class="en">Hello, {{.User.Nickname}}</span></h1>
<p><a class="button primary" href="/chat">오픈톡 입장 <span class="en">· Go to Open Talk chat</span></a></p>
<p><a class="button plain" href="/rps">가위바위보 게임 <span class="en">· Play rock-paper-scissors</span></a></p>
<p class="en">Open Talk: this site issues a one-time code and sends you to Parley, whose server trades it for your session here.</p>
{{else}}
<h1>로그인 <span class="en">Sign in</span></h1>
<p>가짜 로그인입니다: 닉네임을 정하고 제공자를 고르세요. <span class="en">Fake providers: pick a nickname and a provider.</span></p>
<form method="post" action="/signin">
<input type="hidden" name="next" value="{{.Next}}">
<p><input name="nickname" required maxlength="32" placeholder="닉네임 · nickname"></p>
<p><button class="tid" name="provider" value="tid">T-ID로 로그인 <span>· Sign in with T-ID</span></button>
<button class="kakao" name="provider" value="kakao">카카오톡으로 로그인 <span>· Sign in with KakaoTalk</span></button></p>
</form>
{{if .Error}}<p class="note">{{.Error}}</p>{{end}}
{{end}}
{{end}}`))

type pageData struct {
	User  *hostSession
	Next  string
	Error string
}

func render(w http.ResponseWriter, t *template.Template, status int, data any) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = t.Execute(w, data)
}

func (h *Host) home(w http.ResponseWriter, r *http.Request) {
	next := r.URL.Query().Get("next")
	if !localPath(next) {
		next = ""
	}
	render(w, homeTmpl, http.StatusOK, pageData{User: h.session(r), Next: next})
}

// localPath accepts only this site's own paths as a post-sign-in target.
func localPath(p string) bool {
	return strings.HasPrefix(p, "/") && !strings.HasPrefix(p, "//") && !strings.Contains(p, "\\")
}

func (h *Host) signIn(w http.ResponseWriter, r *http.Request) {
	if !sameOrigin(r) {
		http.Error(w, "cross-site request refused", http.StatusForbidden)
		return
	}
	provider := r.FormValue("provider")
	nick := strings.TrimSpace(r.FormValue("nickname"))
	name, ok := providers[provider]
	if !ok || chat.ValidateText(nick, 32) != nil || utf8.RuneCountInString(nick) < 1 {
		render(w, homeTmpl, http.StatusBadRequest, pageData{Error: "닉네임은 1-32자입니다. Nicknames are 1-32 characters."})
		return
	}
	now := h.cfg.Clock()
	s := &hostSession{ID: randomID(24), UserID: userID(provider, nick), Nickname: nick, Provider: name, ExpiresAt: now.Add(h.cfg.SessionTTL)}
	h.mu.Lock()
	h.sweep(now)
	h.sessions[s.ID] = s
	h.mu.Unlock()
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: s.ID, Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: r.TLS != nil})
	next := r.FormValue("next")
	if !localPath(next) {
		next = "/"
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// signOut ends the host session and tells Parley to revoke the sessions
// made from it, which closes the user's open chat sockets.
func (h *Host) signOut(w http.ResponseWriter, r *http.Request) {
	if !sameOrigin(r) {
		http.Error(w, "cross-site request refused", http.StatusForbidden)
		return
	}
	if s := h.session(r); s != nil {
		h.mu.Lock()
		delete(h.sessions, s.ID)
		h.mu.Unlock()
		if err := h.parleyRevoke(r.Context(), s.ID); err != nil {
			h.log.Warn("revoke on Parley failed", "err", err)
		}
		if err := h.parleyRevokeUser(r.Context(), h.cfg.GameTenant, h.cfg.GameAPIKey, s.UserID); err != nil {
			h.log.Warn("revoke game chat on Parley failed", "err", err)
		}
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Path: "/", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteLaxMode})
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

// goToChat issues a one-time code for the open-talk tenant and sends the
// browser to Parley's entry URL with it.
func (h *Host) goToChat(w http.ResponseWriter, r *http.Request) {
	s := h.session(r)
	if s == nil {
		http.Redirect(w, r, "/?next=/chat", http.StatusSeeOther)
		return
	}
	now := h.cfg.Clock()
	code := randomID(32)
	h.mu.Lock()
	h.sweep(now)
	h.codes[code] = &oneTimeCode{SessionID: s.ID, Tenant: h.cfg.ChatTenant, ExpiresAt: now.Add(h.cfg.CodeTTL)}
	h.mu.Unlock()
	q := url.Values{"code": {code}, "return": {"/t/" + h.cfg.ChatTenant + "/"}}
	w.Header().Set("Referrer-Policy", "no-referrer")
	http.Redirect(w, r, h.cfg.ParleyURL+"/t/"+h.cfg.ChatTenant+"/enter?"+q.Encode(), http.StatusSeeOther)
}
