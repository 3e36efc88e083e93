// sql.mjs — what the front needs to know of the SQL a client sends, read with Postgres' own
// lexical rules (src/backend/parser/scan.l), so that no quoting or comment can hide a statement
// from it nor make it see one that is not there:
//
//   - '...' with '' for a quote; with standard_conforming_strings off, \ escapes too
//   - E'...' (e'...'): \ escapes and '' both
//   - B'...', X'...', N'...', U&'...': quoted like '...'
//   - a string continued on another line ('a'<newline>'b') stays in its own kind of quoting
//   - $tag$...$tag$ and $$...$$ (a $ inside an identifier, a$b, starts none; $1 is a parameter)
//   - "quoted identifiers" ("" for a quote) and U&"..."
//   - -- comments to the end of the line, /* */ comments that NEST
//   - statements end at a ; outside all of the above
//
// Pure: no I/O.

const isSpace = (c) => c === 32 || c === 9 || c === 10 || c === 13 || c === 12 || c === 11;
const isNewline = (c) => c === 10 || c === 13;
// Identifier characters (scan.l: ident_start [A-Za-z\200-\377_], ident_cont adds 0-9 and $).
const isIdentStart = (c) => (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || c >= 128;
const isIdentCont = (c) => isIdentStart(c) || (c >= 48 && c <= 57) || c === 36;
const isDolqCont = (c) => isIdentStart(c) || (c >= 48 && c <= 57);
const isDigit = (c) => c >= 48 && c <= 57;

// lex calls emit(kind, start, end) for each token of s: "word" (a keyword or bare identifier),
// "ident" (quoted identifier), "string", "param" ($1), "number", "semi", "open", "close" or
// "other" (an operator or punctuation character). Whitespace and comments emit nothing.
// scs is standard_conforming_strings.
export function lex(s, scs, emit) {
  const n = s.length;
  let i = 0;
  while (i < n) {
    const c = s.charCodeAt(i);
    if (isSpace(c)) {
      i++;
      continue;
    }
    if (c === 45 && s.charCodeAt(i + 1) === 45) {
      i = lineCommentEnd(s, i);
      continue;
    }
    if (c === 47 && s.charCodeAt(i + 1) === 42) {
      i = blockCommentEnd(s, i);
      continue;
    }
    if (c === 39) {
      const end = stringEnd(s, i + 1, !scs);
      emit("string", i, end);
      i = end;
      continue;
    }
    if (c === 34) {
      const end = quotedEnd(s, i + 1, 34);
      emit("ident", i, end);
      i = end;
      continue;
    }
    if (c === 36) {
      if (isDigit(s.charCodeAt(i + 1))) {
        let j = i + 1;
        while (j < n && isDigit(s.charCodeAt(j))) j++;
        emit("param", i, j);
        i = j;
        continue;
      }
      const end = dollarQuoteEnd(s, i);
      if (end > 0) {
        emit("string", i, end);
        i = end;
        continue;
      }
      emit("other", i, i + 1);
      i++;
      continue;
    }
    if (isIdentStart(c)) {
      let j = i + 1;
      while (j < n && isIdentCont(s.charCodeAt(j))) j++;
      const next = s.charCodeAt(j);
      if (j === i + 1 && next === 39) {
        // A one-letter prefix glued to a quote: E'...' escapes with \, the others do not.
        const p = c | 0x20;
        if (p === 101 || p === 98 || p === 120 || p === 110) {
          const end = stringEnd(s, j + 1, p === 101 || !scs);
          emit("string", i, end);
          i = end;
          continue;
        }
      }
      if (j === i + 1 && (c | 0x20) === 117 && next === 38) {
        const q = s.charCodeAt(j + 1);
        if (q === 39) {
          const end = stringEnd(s, j + 2, false);
          emit("string", i, end);
          i = end;
          continue;
        }
        if (q === 34) {
          const end = quotedEnd(s, j + 2, 34);
          emit("ident", i, end);
          i = end;
          continue;
        }
      }
      emit("word", i, j);
      i = j;
      continue;
    }
    if (isDigit(c) || (c === 46 && isDigit(s.charCodeAt(i + 1)))) {
      let j = i + 1;
      while (j < n && (isIdentCont(s.charCodeAt(j)) || s.charCodeAt(j) === 46) && s.charCodeAt(j) !== 36) j++;
      emit("number", i, j);
      i = j;
      continue;
    }
    emit(c === 59 ? "semi" : c === 40 ? "open" : c === 41 ? "close" : "other", i, i + 1);
    i++;
  }
}

function lineCommentEnd(s, i) {
  let j = i + 2;
  while (j < s.length && !isNewline(s.charCodeAt(j))) j++;
  return j;
}

// blockCommentEnd: /* ... */ with nesting; an unterminated one runs to the end.
function blockCommentEnd(s, i) {
  let depth = 1;
  let j = i + 2;
  while (j < s.length) {
    const c = s.charCodeAt(j);
    if (c === 47 && s.charCodeAt(j + 1) === 42) {
      depth++;
      j += 2;
    } else if (c === 42 && s.charCodeAt(j + 1) === 47) {
      j += 2;
      if (--depth === 0) return j;
    } else j++;
  }
  return s.length;
}

// stringEnd returns the index after the string whose body starts at i: '' is a quote, \ escapes
// the next character when backslash is set, and a quote followed by whitespace holding a newline
// and another quote continues the same string (scan.l's quotecontinue). Unterminated: the end.
function stringEnd(s, i, backslash) {
  const n = s.length;
  let j = i;
  while (j < n) {
    const c = s.charCodeAt(j);
    if (backslash && c === 92) {
      j += 2;
      continue;
    }
    if (c !== 39) {
      j++;
      continue;
    }
    if (s.charCodeAt(j + 1) === 39) {
      j += 2;
      continue;
    }
    const k = continuation(s, j + 1);
    if (k < 0) return j + 1;
    j = k;
  }
  return n;
}

// continuation: after a closing quote at i-1, the index after the opening quote of a
// continuation segment, or -1 (scan.l: quotecontinue = quote whitespace_with_newline quote,
// where the whitespace may hold -- comments once a newline was seen).
function continuation(s, i) {
  const n = s.length;
  let j = i;
  while (j < n && (s.charCodeAt(j) === 32 || s.charCodeAt(j) === 9 || s.charCodeAt(j) === 12)) j++;
  if (j >= n || !isNewline(s.charCodeAt(j))) return -1;
  while (j < n) {
    const c = s.charCodeAt(j);
    if (isSpace(c)) j++;
    else if (c === 45 && s.charCodeAt(j + 1) === 45) {
      j = lineCommentEnd(s, j);
      if (j >= n) return -1; // a comment must end with a newline here
    } else break;
  }
  return s.charCodeAt(j) === 39 ? j + 1 : -1;
}

// quotedEnd: a "quoted identifier" ("" for a quote) whose body starts at i.
function quotedEnd(s, i, q) {
  let j = i;
  for (;;) {
    const k = s.indexOf(String.fromCharCode(q), j);
    if (k < 0) return s.length;
    if (s.charCodeAt(k + 1) === q) {
      j = k + 2;
      continue;
    }
    return k + 1;
  }
}

// dollarQuoteEnd: the index after $tag$...$tag$ starting at i, or 0 when no tag starts there.
function dollarQuoteEnd(s, i) {
  let j = i + 1;
  if (j < s.length && s.charCodeAt(j) !== 36) {
    if (!isIdentStart(s.charCodeAt(j))) return 0;
    while (j < s.length && isDolqCont(s.charCodeAt(j))) j++;
    if (s.charCodeAt(j) !== 36) return 0;
  }
  const tag = s.slice(i, j + 1);
  const close = s.indexOf(tag, j + 1);
  return close < 0 ? s.length : close + tag.length;
}

// statements reads s into one summary per statement: { lead, copyFromStdin }, lead being the
// statement's first two tokens (a word lower-cased, any other token as "<kind>").
// copyFromStdin: it is a COPY with FROM STDIN outside parentheses (COPY's grammar: COPY
// [BINARY] table [(columns)] FROM STDIN ...; in COPY (query) TO ..., a FROM is inside them).
export function statements(s, scs = true) {
  const out = [];
  let cur = null;
  let depth = 0;
  let prev = null; // the previous token, when it is a word outside parentheses
  const word = (a, b) => s.slice(a, b).toLowerCase();
  lex(s, scs, (kind, a, b) => {
    if (kind === "semi") {
      if (cur) out.push(cur);
      cur = null;
      depth = 0;
      prev = null;
      return;
    }
    if (!cur) cur = { lead: [], copyFromStdin: false };
    if (cur.lead.length < 2) cur.lead.push(kind === "word" ? word(a, b) : `<${kind}>`);
    if (kind === "open") depth++;
    else if (kind === "close" && depth > 0) depth--;
    if (kind === "word" && depth === 0 && cur.lead[0] === "copy") {
      const w = b - a <= 5 ? word(a, b) : "";
      if (w === "stdin" && prev === "from") cur.copyFromStdin = true;
      prev = w;
    } else prev = null;
  });
  if (cur) out.push(cur);
  return out;
}

// copyFromStdin: does the SQL run COPY ... FROM STDIN (which ends the PGlite runtime when it
// arrives over the wire)? It is read both with standard_conforming_strings on (as PGlite runs)
// and off (a client may SET it off), and refused when either reading finds one: a string that
// ends in another place under the other setting can never hide one.
export function copyFromStdin(sql) {
  if (!/stdin/i.test(sql)) return false; // the keyword is plain ASCII letters, in any case
  return [true, false].some((scs) => statements(sql, scs).some((st) => st.copyFromStdin));
}

// changesDatabases: does the SQL run CREATE, DROP or ALTER DATABASE (the statements that read
// template1 and the other databases a seeded first start writes after it listens)?
export function changesDatabases(sql) {
  if (!/database/i.test(sql)) return false;
  return [true, false].some((scs) =>
    statements(sql, scs).some((st) => ["create", "drop", "alter"].includes(st.lead[0]) && st.lead[1] === "database"),
  );
}
