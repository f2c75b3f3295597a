// Python syntax colouring for code actions: one pass of one regular expression, no library.
"use strict";
const PY_KEYWORDS = new Set(("False None True and as assert async await break class continue def del elif else except " +
  "finally for from global if import in is lambda nonlocal not or pass raise return try while with yield match case").split(" "));
const PY_TOKEN = /(#[^\n]*)|("""[\s\S]*?"""|'''[\s\S]*?'''|[rbfu]{0,2}"(?:\\.|[^"\\\n])*"|[rbfu]{0,2}'(?:\\.|[^'\\\n])*')|\b(\d+(?:\.\d*)?(?:e[-+]?\d+)?)\b|\b([A-Za-z_]\w*)\b(\s*\()?/gi;

function escapeHtml(text) {
  return String(text).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
}

function highlightPython(code) {
  let out = "", last = 0;
  for (const m of code.matchAll(PY_TOKEN)) {
    out += escapeHtml(code.slice(last, m.index));
    if (m[1]) out += `<span class="com">${escapeHtml(m[1])}</span>`;
    else if (m[2]) out += `<span class="str">${escapeHtml(m[2])}</span>`;
    else if (m[3]) out += `<span class="num">${escapeHtml(m[3])}</span>`;
    else if (PY_KEYWORDS.has(m[4])) out += `<span class="kw">${m[4]}</span>` + escapeHtml(m[5] || "");
    else if (m[5]) out += `<span class="fn">${escapeHtml(m[4])}</span>` + escapeHtml(m[5]);
    else out += escapeHtml(m[0]);
    last = m.index + m[0].length;
  }
  return out + escapeHtml(code.slice(last));
}
