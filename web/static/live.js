// muster's live incident page: new timeline entries and the incident's
// status, severity and roles arrive over server-sent events and are shown
// without a reload. Without this script the page is the same, only still.
// Everything received is set as text, never as HTML.
"use strict";
(function () {
  var list = document.querySelector("ol.timeline[data-live]");
  if (!list || !window.EventSource) {
    return;
  }
  var note = document.getElementById("live");
  function say(text) {
    if (note) {
      note.textContent = text;
      note.hidden = text === "";
    }
  }
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) {
      e.className = cls;
    }
    if (text !== undefined) {
      e.textContent = text;
    }
    return e;
  }
  function addEntry(e) {
    if (document.getElementById("e" + e.seq)) {
      return; // already shown: a reconnect may repeat the last entry
    }
    var li = el("li", "entry kind-" + e.kind + (e.key ? " key" : "") + (e.deleted ? " deleted" : ""));
    li.id = "e" + e.seq;
    var t = el("time", "", e.when);
    t.setAttribute("datetime", e.at);
    li.appendChild(t);
    if (e.key) {
      var k = el("span", "keymark", "★ key");
      k.title = "key event";
      li.appendChild(k);
    }
    li.appendChild(el("span", "kind", e.kind));
    if (e.actor) {
      li.appendChild(el("span", "actor", e.actor));
    }
    var text = el("span", "text");
    if (e.deleted) {
      text.appendChild(el("em", "", "(deleted)"));
      text.appendChild(document.createTextNode(" "));
    }
    text.appendChild(document.createTextNode(e.text));
    li.appendChild(text);
    li.classList.add("new");
    list.appendChild(li);
  }
  function setState(s) {
    var sev = document.getElementById("severity");
    if (sev) {
      sev.textContent = s.severity;
      sev.className = "sev " + s.sevclass;
    }
    var st = document.getElementById("status");
    if (st) {
      st.textContent = s.status;
      st.className = "status status-" + s.status;
    }
    var body = document.querySelector("#roles tbody");
    if (body && s.roles) {
      var rows = [];
      s.roles.forEach(function (r) {
        var tr = el("tr");
        var th = el("th", "", r.name);
        th.setAttribute("scope", "row");
        tr.appendChild(th);
        var td = el("td");
        if (r.holder) {
          td.appendChild(document.createTextNode(r.holder));
          if (r.standin) {
            td.appendChild(document.createTextNode(" "));
            td.appendChild(el("span", "muted", "(the IC, until delegated)"));
          }
        } else {
          td.appendChild(el("span", "muted", "unassigned"));
        }
        tr.appendChild(td);
        rows.push(tr);
      });
      body.replaceChildren.apply(body, rows);
    }
  }
  var source = new EventSource(list.getAttribute("data-live"));
  source.addEventListener("open", function () {
    say("Live: new entries appear here as they happen.");
  });
  source.addEventListener("entry", function (m) {
    addEntry(JSON.parse(m.data));
  });
  source.addEventListener("incident", function (m) {
    setState(JSON.parse(m.data));
  });
  source.addEventListener("end", function () {
    source.close();
    say("The incident is closed; this page no longer updates.");
  });
  source.addEventListener("error", function () {
    if (source.readyState === EventSource.CLOSED) {
      say("Live updates stopped; reload the page to see new entries.");
    } else {
      say("Reconnecting…");
    }
  });
})();
