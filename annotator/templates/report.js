// The report's interaction: seek on click, highlight what is playing, filter, keyboard.
// Plain JavaScript, no framework; everything it needs is in the page's DOM.
(function () {
  "use strict";
  var player = document.getElementById("player");
  var list = document.getElementById("rows");
  var rows = Array.prototype.slice.call(list.querySelectorAll("li.utt"));
  var starts = rows.map(function (r) { return parseFloat(r.dataset.start); });
  var ends = rows.map(function (r) { return parseFloat(r.dataset.end); });
  var duration = parseFloat(document.body.dataset.duration) || 1;
  var indexOf = {};
  rows.forEach(function (r, k) { indexOf[r.dataset.i] = k; });
  var blocks = rows.map(function () { return null; });
  document.querySelectorAll(".track rect[data-i]").forEach(function (b) {
    if (b.dataset.i in indexOf) blocks[indexOf[b.dataset.i]] = b;
  });
  var playhead = document.getElementById("playhead");
  var follow = document.getElementById("follow");
  var current = -1;
  var focused = rows.length ? 0 : -1;

  function play() {
    var promise = player && player.play();
    if (promise && promise.catch) promise.catch(function () {});  // e.g. media not found
  }

  function seek(t, andPlay) {
    if (player) {
      try { player.currentTime = t; } catch (e) { /* no media: still highlight */ }
      if (andPlay) play();
    }
    update(t);
  }

  // The utterance playing at time t: the last one starting at or before t, if t is inside it.
  function utteranceAt(t) {
    var lo = 0, hi = starts.length - 1, found = -1;
    while (lo <= hi) {
      var mid = (lo + hi) >> 1;
      if (starts[mid] <= t + 1e-3) { found = mid; lo = mid + 1; } else { hi = mid - 1; }
    }
    return found >= 0 && t < ends[found] + 0.05 ? found : -1;
  }

  function scrollToRow(row) {
    var box = list.getBoundingClientRect(), r = row.getBoundingClientRect();
    if (r.top < box.top || r.bottom > box.bottom) row.scrollIntoView({ block: "center" });
  }

  function update(t) {
    if (playhead) {
      var f = Math.max(0, Math.min(1, t / duration));
      playhead.style.left = "calc(var(--lane-label) + (100% - var(--lane-label)) * " + f + ")";
    }
    var k = utteranceAt(t);
    if (k !== current) moveTo(k);
    markWord(t);
  }

  // The word being spoken, within the playing row (read-along).
  var spoken = null;
  function markWord(t) {
    var next = null;
    if (current >= 0) {
      var spans = rows[current].querySelectorAll(".text [data-t]");
      for (var i = 0; i < spans.length && parseFloat(spans[i].dataset.t) <= t + 0.05; i++) {
        next = spans[i];
      }
    }
    if (next === spoken) return;
    if (spoken) spoken.classList.remove("now");
    spoken = next;
    if (spoken) spoken.classList.add("now");
  }

  function moveTo(k) {
    if (current >= 0) {
      rows[current].classList.remove("current");
      rows[current].removeAttribute("aria-current");
      if (blocks[current]) blocks[current].classList.remove("current");
    }
    current = k;
    if (k < 0) return;
    rows[k].classList.add("current");
    rows[k].setAttribute("aria-current", "true");
    if (blocks[k]) blocks[k].classList.add("current");
    if (follow && follow.checked && !rows[k].hidden) scrollToRow(rows[k]);
  }

  // Roving focus: one row is in the tab order; arrows move it.
  function focusRow(k) {
    if (k < 0 || k >= rows.length) return;
    if (focused >= 0) rows[focused].tabIndex = -1;
    focused = k;
    rows[k].tabIndex = 0;
    rows[k].focus({ preventScroll: true });
    scrollToRow(rows[k]);
  }

  function step(from, direction) {
    for (var k = from + direction; k >= 0 && k < rows.length; k += direction) {
      if (!rows[k].hidden) return k;
    }
    return -1;
  }

  // Focus that arrives some other way (Tab, a click) moves the roving position too.
  list.addEventListener("focusin", function (e) {
    if (!e.target.matches("li.utt") || !(e.target.dataset.i in indexOf)) return;
    var k = indexOf[e.target.dataset.i];
    if (k === focused) return;
    if (focused >= 0) rows[focused].tabIndex = -1;
    focused = k;
    rows[k].tabIndex = 0;
  });

  list.addEventListener("click", function (e) {
    if (e.target.closest("details")) return;  // opening a row's details is not a seek
    if (String(window.getSelection())) return;  // selecting text to copy it is not a seek either
    var row = e.target.closest("li.utt");
    if (!row) return;
    var word = e.target.closest("[data-t]");
    var k = indexOf[row.dataset.i];
    focusRow(k);
    seek(word ? parseFloat(word.dataset.t) : starts[k], true);
  });

  document.getElementById("timeline").addEventListener("click", function (e) {
    var block = e.target.closest("rect[data-i]");
    if (block && block.dataset.i in indexOf) {
      var k = indexOf[block.dataset.i];
      focusRow(k);
      seek(starts[k], true);
      return;
    }
    var track = e.target.closest(".track");
    if (!track) return;
    var box = track.getBoundingClientRect();
    seek(duration * Math.max(0, Math.min(1, (e.clientX - box.left) / box.width)), true);
  });

  if (player) {
    player.addEventListener("timeupdate", function () { update(player.currentTime); });
    player.addEventListener("seeked", function () { update(player.currentTime); });
    player.addEventListener("error", function () {
      var note = document.getElementById("media-missing");
      if (note) note.hidden = false;
    });
  }

  // A link to a moment: report.html#t=75.5 opens there (without playing).
  function seekToHash() {
    var match = /^#t=(\d+(?:\.\d+)?)$/.exec(window.location.hash);
    if (!match) return;
    var t = parseFloat(match[1]);
    seek(t, false);
    if (current >= 0 && focused >= 0) {  // the keys start from there, without a focus ring
      rows[focused].tabIndex = -1;
      focused = current;
      rows[current].tabIndex = 0;
    }
  }
  window.addEventListener("hashchange", seekToHash);
  seekToHash();

  // Filters: search text, speaker, emotion, confident only, branches disagreeing.
  var query = document.getElementById("q");
  var speaker = document.getElementById("speaker");
  var emotion = document.getElementById("emotion");
  var confident = document.getElementById("confident");
  var disagree = document.getElementById("disagree");
  var count = document.getElementById("count");
  var texts = null;

  function applyFilters() {
    if (!texts) {
      texts = rows.map(function (r) {
        var speakerName = r.querySelector(".speaker");
        return (r.querySelector(".text").textContent + " " +
                (speakerName ? speakerName.textContent : "")).toLowerCase();
      });
    }
    var q = query.value.trim().toLowerCase();
    var s = speaker ? speaker.value : "*";
    var m = emotion ? emotion.value : "*";
    var shown = 0;
    rows.forEach(function (r, k) {
      var show = (!q || texts[k].indexOf(q) >= 0) &&
        (s === "*" || r.dataset.speaker === s) &&
        (m === "*" || r.dataset.emotion === m) &&
        (!confident || !confident.checked || (r.dataset.emotion && !("low" in r.dataset))) &&
        (!disagree || !disagree.checked || "disagree" in r.dataset);
      r.hidden = !show;
      if (blocks[k]) blocks[k].classList.toggle("out", !show);
      if (show) shown += 1;
    });
    count.textContent = shown === rows.length ? rows.length + " utterances"
      : shown + " of " + rows.length + " utterances";
    if (focused >= 0 && rows[focused].hidden) {
      var k = step(-1, 1);
      if (k >= 0) { rows[focused].tabIndex = -1; focused = k; rows[k].tabIndex = 0; }
    }
  }

  var pending = 0;
  query.addEventListener("input", function () {
    clearTimeout(pending);
    pending = setTimeout(applyFilters, 120);  // one pass per pause in typing, not per key
  });
  [speaker, emotion, confident, disagree].forEach(function (control) {
    if (control) control.addEventListener("change", applyFilters);
  });
  document.getElementById("filters").addEventListener("submit", function (e) {
    e.preventDefault();
  });

  function clearFilters() {
    query.value = "";
    if (speaker) speaker.value = "*";
    if (emotion) emotion.value = "*";
    if (confident) confident.checked = false;
    if (disagree) disagree.checked = false;
    applyFilters();
  }

  document.addEventListener("keydown", function (e) {
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    var target = e.target;
    var tag = target.tagName;
    if (tag === "INPUT" || tag === "SELECT" || tag === "TEXTAREA") {
      if (e.key === "Escape" && target === query) { clearFilters(); query.blur(); focusRow(focused); }
      return;
    }
    var inList = list.contains(target);
    var key = e.key;
    if (key === "/") {
      e.preventDefault();
      query.focus();
    } else if (key === "Escape") {
      clearFilters();
    } else if (key === "j" || (inList && key === "ArrowDown")) {
      e.preventDefault();
      focusRow(step(focused, 1));
    } else if (key === "k" || (inList && key === "ArrowUp")) {
      e.preventDefault();
      focusRow(step(focused, -1));
    } else if (inList && key === "Home") {
      e.preventDefault();
      focusRow(step(-1, 1));
    } else if (inList && key === "End") {
      e.preventDefault();
      focusRow(step(rows.length, -1));
    } else if ((key === "ArrowRight" || key === "ArrowLeft") && inList && tag === "LI") {
      var details = rows[focused].querySelector("details");
      if (details) { e.preventDefault(); details.open = key === "ArrowRight"; }
    } else if (key === "Enter" && inList && tag === "LI") {
      e.preventDefault();
      seek(starts[focused], true);
    } else if (key === " " && player && tag !== "BUTTON" && tag !== "SUMMARY" &&
               tag !== "VIDEO" && tag !== "AUDIO") {
      e.preventDefault();
      if (player.paused) play(); else player.pause();
    }
  });
})();
