package demohost

import (
	"context"
	"encoding/json"
	"fmt"
	"html/template"
	"math/rand/v2"
	"net/http"
	"net/url"
	"regexp"
	"time"
)

var roomPattern = regexp.MustCompile(`^[a-z0-9-]{1,32}$`)

var lobbyTmpl = template.Must(template.Must(pageTmpl.Clone()).Parse(`{{define "body"}}
<h1>가위바위보 <span class="en">Rock-paper-scissors</span></h1>
<p>게임방을 고르세요. <span class="en">Pick a game room.</span></p>
<p>{{range .Rooms}}<a class="button primary" href="/rps/{{.}}">{{.}}</a>{{end}}</p>
<p><a href="/">← 처음으로 <span class="en">Home</span></a></p>
{{end}}`))

var roomTmpl = template.Must(template.Must(pageTmpl.Clone()).Parse(`{{define "body"}}
<h1>가위바위보 · {{.Room}} <span class="en">Rock-paper-scissors</span></h1>
{{if .RoomError}}<p class="note">채팅방을 만들지 못했습니다: Parley가 실행 중인가요? <span class="en">Could not create the chat room: is Parley running?</span></p>{{end}}
<p>컴퓨터와 대결하세요. <span class="en">Play against the computer.</span></p>
<p class="moves"><button data-move="rock" title="바위 rock" aria-label="바위 rock">✊</button><button data-move="paper" title="보 paper" aria-label="보 paper">✋</button><button data-move="scissors" title="가위 scissors" aria-label="가위 scissors">✌️</button></p>
<p id="result" role="status"></p>
<h2>게임 채팅 <span class="en">Game chat</span></h2>
<iframe id="chat" title="game chat" src="{{.EmbedURL}}"></iframe>
<p><a href="/rps">← 게임방 목록 <span class="en">Rooms</span></a></p>
<script nonce="{{.Nonce}}">
(() => {
  // The game chat iframe's origin: messages go only there, and only its
  // messages are read.
  const PARLEY_ORIGIN = {{.ParleyOrigin}};
  const ROOM = {{.Room}};
  const frame = document.getElementById("chat");

  async function sendAssertion() {
    const res = await fetch("/rps/" + ROOM + "/assertion", {method: "POST"});
    if (!res.ok) { return; }
    const body = await res.json();
    frame.contentWindow.postMessage({type: "parley:assertion", assertion: body.assertion}, PARLEY_ORIGIN);
  }
  // A fresh assertion when the iframe is ready or its token ran out; at
  // most a few a minute, so a misconfiguration cannot loop.
  const renewOn = ["unauthenticated", "token_expired", "session_revoked"];
  let sent = [];
  function maybeSend() {
    const now = Date.now();
    sent = sent.filter((t) => now - t < 60000);
    if (sent.length >= 3) { return; }
    sent.push(now);
    sendAssertion();
  }
  window.addEventListener("message", (e) => {
    if (e.origin !== PARLEY_ORIGIN || e.source !== frame.contentWindow) { return; }
    const m = e.data || {};
    if (m.type === "parley:ready" || (m.type === "parley:error" && renewOn.includes(m.code))) { maybeSend(); }
    if (m.type === "parley:resize" && m.height > 0) { frame.style.height = Math.min(m.height, 800) + "px"; }
  });

  const names = {rock: "✊", paper: "✋", scissors: "✌️"};
  const verdict = {win: "이겼어요! You win!", lose: "졌어요. You lose.", draw: "비겼어요. Draw."};
  for (const b of document.querySelectorAll("[data-move]")) {
    b.addEventListener("click", async () => {
      const res = await fetch("/rps/" + ROOM + "/play", {method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify({move: b.dataset.move})});
      const r = await res.json();
      document.getElementById("result").textContent = names[r.you] + " vs " + names[r.cpu] + " — " + verdict[r.result];
    });
  }
})();
</script>
{{end}}`))

func (h *Host) rpsLobby(w http.ResponseWriter, r *http.Request) {
	s := h.session(r)
	if s == nil {
		http.Redirect(w, r, "/?next=/rps", http.StatusSeeOther)
		return
	}
	render(w, lobbyTmpl, http.StatusOK, struct {
		User  *hostSession
		Rooms []string
	}{s, []string{"arena-1", "arena-2", "arena-3"}})
}

// rpsRoom serves the game page: it makes sure the private chat room exists
// on Parley and embeds the game chat for it.
func (h *Host) rpsRoom(w http.ResponseWriter, r *http.Request) {
	room := r.PathValue("room")
	if !roomPattern.MatchString(room) {
		http.NotFound(w, r)
		return
	}
	if h.session(r) == nil {
		http.Redirect(w, r, "/?next=/rps/"+room, http.StatusSeeOther)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
	defer cancel()
	roomErr := h.ensureRoom(ctx, room, "가위바위보 "+room)
	if roomErr != nil {
		h.log.Warn("create game chat room", "room", room, "err", roomErr)
	}
	nonce := randomID(16)
	embed := h.cfg.ParleyURL + "/t/" + h.cfg.GameTenant + "/embed/" + url.PathEscape(room)
	w.Header().Set("Content-Security-Policy", fmt.Sprintf(
		"default-src 'self'; script-src 'nonce-%s'; style-src 'unsafe-inline'; frame-src %s", nonce, h.parleyOrigin))
	render(w, roomTmpl, http.StatusOK, struct {
		User                                *hostSession
		Room, EmbedURL, ParleyOrigin, Nonce string
		RoomError                           bool
	}{h.session(r), room, embed, h.parleyOrigin, nonce, roomErr != nil})
}

// rpsAssertion signs a short-lived assertion for the signed-in user and the
// room; the page hands it to the chat iframe over postMessage.
func (h *Host) rpsAssertion(w http.ResponseWriter, r *http.Request) {
	room := r.PathValue("room")
	s := h.session(r)
	switch {
	case !sameOrigin(r):
		apiError(w, http.StatusForbidden, "cross_site")
		return
	case s == nil:
		apiError(w, http.StatusUnauthorized, "signed_out")
		return
	case !roomPattern.MatchString(room):
		apiError(w, http.StatusNotFound, "no_room")
		return
	}
	a, exp := h.assertionFor(s, room)
	writeJSON(w, http.StatusOK, map[string]any{"assertion": a, "expiresAt": exp})
}

var beats = map[string]string{"rock": "scissors", "paper": "rock", "scissors": "paper"}

// rpsPlay plays one round against the computer and announces it in the
// room's chat.
func (h *Host) rpsPlay(w http.ResponseWriter, r *http.Request) {
	room := r.PathValue("room")
	s := h.session(r)
	var req struct {
		Move string `json:"move"`
	}
	_ = json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<10)).Decode(&req)
	switch {
	case !sameOrigin(r):
		apiError(w, http.StatusForbidden, "cross_site")
		return
	case s == nil:
		apiError(w, http.StatusUnauthorized, "signed_out")
		return
	case !roomPattern.MatchString(room) || beats[req.Move] == "":
		apiError(w, http.StatusBadRequest, "bad_move")
		return
	}
	moves := []string{"rock", "paper", "scissors"}
	cpu := moves[rand.IntN(len(moves))]
	result := "draw"
	switch {
	case beats[req.Move] == cpu:
		result = "win"
	case beats[cpu] == req.Move:
		result = "lose"
	}
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	text := fmt.Sprintf("%s: %s vs %s → %s", s.Nickname, req.Move, cpu, result)
	if err := h.announce(ctx, room, text); err != nil {
		h.log.Warn("announce result", "room", room, "err", err)
	}
	writeJSON(w, http.StatusOK, map[string]string{"you": req.Move, "cpu": cpu, "result": result})
}
