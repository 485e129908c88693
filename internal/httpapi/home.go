package httpapi

import (
	"html/template"
	"net/http"
)

// homePage is what a person who opens Parley's root URL sees: which
// services (tenants) this node serves, where their chat lives, and where
// their users sign in. Users normally arrive from their host service
// instead.
var homePage = template.Must(template.New("home").Parse(`<!doctype html>
<html lang="ko"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Parley</title>
<style>
body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem;color:#1a1a1a}
li{margin:.75rem 0} a{color:#0b57d0} small{color:#555}
</style></head><body>
<h1>Parley</h1>
<p>이 서버가 제공하는 채팅 서비스입니다. 보통은 각 서비스에 로그인한 뒤 그곳에서 채팅에 들어옵니다.<br>
<span lang="en">The chat services this server runs. Users normally enter from their host service, already signed in.</span></p>
<ul>{{range .}}
<li><strong>{{.Name}}</strong> <small>({{.ID}})</small><br>
{{if .SignIn}}<a href="{{.SignIn}}">로그인하고 입장 · Sign in and enter</a> · {{end}}<a href="/t/{{.ID}}/">채팅 · Chat</a></li>{{end}}
</ul>
<p><small><a href="/healthz">healthz</a> · <a href="/readyz">readyz</a></small></p>
</body></html>
`))

type homeTenant struct {
	ID, Name string
	SignIn   string // the host's sign-in page, when the tenant names one
}

// home renders the landing page at "/".
func (a *API) home(w http.ResponseWriter, _ *http.Request) {
	var list []homeTenant
	for _, t := range a.cfg.Tenants.All() {
		list = append(list, homeTenant{ID: t.ID, Name: t.DisplayName, SignIn: t.Auth.Settings["signInURL"]})
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'")
	if err := homePage.Execute(w, list); err != nil {
		a.log.Warn("render home page", "err", err)
	}
}
