package auth

import (
	"errors"
	"html/template"
	"net/http"

	"github.com/parley-chat/parley/internal/chat"
)

// pageText is one error page in Korean and English.
type pageText struct {
	Status             int
	TitleKo, TitleEn   string
	DetailKo, DetailEn string
}

func pageFor(err error) pageText {
	switch {
	case errors.Is(err, ErrHostUnavailable):
		return pageText{http.StatusBadGateway,
			"호스트 서비스가 응답하지 않습니다", "The host service is not answering",
			"로그인 정보를 확인하지 못했습니다. 잠시 후 호스트 서비스에서 다시 입장해 주세요.",
			"We could not confirm your sign-in in time. Please enter again from the host service in a moment."}
	case errors.Is(err, ErrHostRejected):
		return pageText{http.StatusUnauthorized,
			"입장 링크를 사용할 수 없습니다", "This entry link cannot be used",
			"링크가 만료되었거나 이미 사용되었습니다. 호스트 서비스에서 다시 입장해 주세요.",
			"The link has expired or was already used. Please enter again from the host service."}
	case errors.Is(err, ErrRedirectNotAllowed):
		return pageText{http.StatusBadRequest,
			"돌아갈 주소가 허용되지 않습니다", "The return address is not allowed",
			"이 서비스에 등록되지 않은 주소로는 이동할 수 없습니다.",
			"Parley only returns to addresses registered for this service."}
	case errors.Is(err, chat.ErrNotFound), errors.Is(err, ErrWrongAdapter):
		return pageText{http.StatusNotFound,
			"찾을 수 없는 서비스입니다", "No such service",
			"주소를 확인해 주세요.", "Please check the address."}
	default:
		return pageText{http.StatusInternalServerError,
			"일시적인 오류가 발생했습니다", "Something went wrong",
			"잠시 후 다시 시도해 주세요.", "Please try again in a moment."}
	}
}

var errorPageTmpl = template.Must(template.New("error").Parse(`<!doctype html>
<html lang="ko"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.TitleKo}} · {{.TitleEn}}</title>
<style>body{font-family:system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem;color:#222}
h1{font-size:1.3rem}h2{font-size:1.05rem;color:#555;font-weight:normal}p{line-height:1.5}
code{color:#888}a.button{display:inline-block;margin-top:1rem;padding:.6rem 1rem;background:#2b6cb0;color:#fff;border-radius:6px;text-decoration:none}</style>
</head><body>
<h1>{{.TitleKo}}</h1><h2 lang="en">{{.TitleEn}}</h2>
<p>{{.DetailKo}}</p><p lang="en">{{.DetailEn}}</p>
{{if .SignInURL}}<a class="button" href="{{.SignInURL}}">다시 입장하기 · Enter again</a>{{end}}
<p><code>{{.Code}}</code></p>
</body></html>`))

// errorPage renders a sign-in failure for a browser navigation.
func (s *Service) errorPage(w http.ResponseWriter, _ *http.Request, a Adapter, err error) {
	p := pageFor(err)
	wire := WireError(err)
	data := struct {
		pageText
		Code      string
		SignInURL string
	}{pageText: p, Code: string(wire.Code)}
	if si, ok := a.(interface{ SignInURL() string }); ok {
		data.SignInURL = si.SignInURL()
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(p.Status)
	if err := errorPageTmpl.Execute(w, data); err != nil {
		s.log.Error("render error page", "err", err)
	}
}
