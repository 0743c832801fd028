package bot

import (
	"fmt"
	"strings"
	"time"
	"unicode"

	"golang.org/x/text/unicode/norm"

	"github.com/muster-bot/muster"
)

// maxRoomName is Slack's limit for channel names, the strictest of the
// platforms that name rooms by a slug.
const maxRoomName = 80

// DrillPrefix starts the name of every drill's war room, whatever prefix
// real incidents' rooms have: drill-7-checkout-slow.
const DrillPrefix = "drill"

// roomName builds the war-room name `<prefix>-<number>-<slug-of-title>`,
// or `<prefix>-<yyyy-mm-dd>-<slug>` when withDate is set: lowercase, only
// a-z 0-9 - _, at most maxRoomName characters. suffix > 1 is appended on a
// name collision ("-2", "-3"), inside the length limit.
func roomName(prefix string, inc *muster.Incident, withDate bool, suffix int) string {
	head := fmt.Sprintf("%s-%d", prefix, inc.ID)
	if withDate {
		head = fmt.Sprintf("%s-%s", prefix, inc.DeclaredAt.UTC().Format(time.DateOnly))
	}
	tail := ""
	if suffix > 1 {
		tail = fmt.Sprintf("-%d", suffix)
	}
	room := head
	if s := slug(inc.Title); s != "" {
		room += "-" + s
	}
	if len(room)+len(tail) > maxRoomName {
		room = strings.TrimRight(room[:maxRoomName-len(tail)], "-")
	}
	return room + tail
}

// slug turns a title into lowercase words joined by hyphens, dropping
// accents and every character a channel name may not hold.
func slug(title string) string {
	var b strings.Builder
	hyphen := false
	for _, r := range norm.NFKD.String(title) {
		switch {
		case unicode.Is(unicode.Mn, r): // combining accent left by NFKD: é → e
			continue
		case r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r)):
			if hyphen && b.Len() > 0 {
				b.WriteByte('-')
			}
			hyphen = false
			b.WriteRune(unicode.ToLower(r))
		default:
			hyphen = true
		}
	}
	return b.String()
}
