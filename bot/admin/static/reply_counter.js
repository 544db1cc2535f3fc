// The case page's reply counter: characters and SMS parts as the person will receive the reply (the case's
// reference before it, folded to the channel's alphabet), and the blanks of a canned reply left to fill.
// Progressive enhancement: without it the page shows the server's count and the server refuses blanks.
// It mirrors bot/outbound/gsm7.py (cost, prepare: `gsm` folds, `auto` folds only when that saves parts and
// loses no letter); the page gives it the alphabet and the fold table.
(function () {
  "use strict";
  var box = document.getElementById("reply-text");
  var output = document.getElementById("reply-count");
  var warning = document.getElementById("reply-blanks");
  if (!box || !output || !output.dataset.sms) return;
  var config = JSON.parse(output.dataset.sms);
  var basic = new Set(Array.from(config.basic));
  var extended = new Set(Array.from(config.extended));
  var invisible = /[\p{Mn}\p{Me}\p{Cf}]/gu;

  function isGsm(text) {
    return Array.from(text).every(function (ch) { return basic.has(ch) || extended.has(ch); });
  }

  function foldChar(ch) {
    if (Object.prototype.hasOwnProperty.call(config.folds, ch)) return config.folds[ch];
    if (basic.has(ch) || extended.has(ch)) return ch;
    var bare = ch.normalize("NFKD").replace(invisible, "");
    return isGsm(bare) ? bare : "?";
  }

  function toGsm(text) {
    return Array.from(text.normalize("NFC")).map(foldChar).join("");
  }

  function faithful(text) {
    return Array.from(text.normalize("NFC")).every(function (ch) { return ch === "?" || foldChar(ch) !== "?"; });
  }

  function prepare(text) {
    if (config.alphabet === "gsm") return toGsm(text);
    if (config.alphabet !== "auto" || isGsm(text) || !faithful(text)) return text;
    var folded = toGsm(text);
    return measure(text).parts <= measure(folded).parts ? text : folded;
  }

  function parts(weights, single, part) {
    var units = weights.reduce(function (a, b) { return a + b; }, 0);
    if (units <= single) return 1;
    var count = 1, used = 0;
    weights.forEach(function (w) {
      if (used + w > part) { count += 1; used = 0; }
      used += w;
    });
    return count;
  }

  function measure(text) {
    var chars = Array.from(text);
    if (isGsm(text)) {
      var septets = chars.map(function (ch) { return extended.has(ch) ? 2 : 1; });
      return { characters: chars.length, parts: parts(septets, 160, 153), encoding: "GSM-7" };
    }
    var units = chars.map(function (ch) { return ch.codePointAt(0) > 0xffff ? 2 : 1; });
    return { characters: chars.length, parts: parts(units, 70, 67), encoding: "UCS-2" };
  }

  function blanks(text) {
    var found = text.match(/\{[^{}\n]*\}/g) || [];
    if (config.canned) found = found.concat(text.match(/\.\.\.|…/g) || []);
    return found;
  }

  function update() {
    var text = box.value.trim();
    var sent = prepare(config.before + text + config.after);
    var cost = measure(sent);
    output.textContent = config.template
      .replace("%(characters)s", cost.characters)
      .replace("%(parts)s", cost.parts)
      .replace("%(encoding)s", cost.encoding);
    if (warning) warning.hidden = blanks(text).length === 0;
  }

  box.addEventListener("input", update);
  if (box.form && warning) {
    box.form.addEventListener("submit", function (event) {
      if (blanks(box.value).length) {
        event.preventDefault();
        warning.hidden = false;
        box.focus();
      }
    });
  }
  update();
})();
