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

// statementTokens reads s into its statements, each { start, end, tokens }: the offsets of its
// first and last token and its first `limit` tokens as { kind, text } (a word lower-cased, a
// quoted identifier unquoted, anything else as written). onWord, when given, sees every word
// (lower-cased) of every statement, past the limit too.
export function statementTokens(s, scs = true, limit = Infinity, onWord = null) {
  const out = [];
  let cur = null;
  lex(s, scs, (kind, a, b) => {
    if (kind === "semi") {
      if (cur) out.push(cur);
      cur = null;
      return;
    }
    if (!cur) cur = { start: a, end: b, tokens: [] };
    cur.end = b;
    if (cur.tokens.length >= limit) {
      if (onWord && kind === "word" && b - a <= 40) onWord(s.slice(a, b).toLowerCase());
      return;
    }
    let text = s.slice(a, b);
    if (kind === "word") {
      text = text.toLowerCase();
      if (onWord) onWord(text);
    } else if (kind === "ident") text = unquoteIdent(text);
    cur.tokens.push({ kind, text });
  });
  if (cur) out.push(cur);
  return out;
}

function unquoteIdent(t) {
  if (/^u&/i.test(t)) return t.slice(3, -1).replace(/""/g, '"'); // U&"..." escapes are not read
  return t.slice(1, t.endsWith('"') && t.length > 1 ? -1 : undefined).replace(/""/g, '"');
}

// quoteIdent is name as a quoted identifier.
export function quoteIdent(name) {
  return `"${name.replace(/"/g, '""')}"`;
}

const ADVISORY_SESSION_LOCK = /^pg_(try_)?advisory_lock(_shared)?$/;

// sessionEffects reads what the SQL does to the session beyond its own transaction, for the
// front to track (the session is shared by every client, see front.mjs):
//   sets: [{ name, sql, reset }] session-level SETs (not SET LOCAL), with the statement's own
//         text to run it again and the statement that undoes it
//   resets: [name] RESET name; resetAll: RESET ALL
//   prepares / deallocates: [name] SQL-level PREPARE name / DEALLOCATE name
//   tempTables: [name] CREATE TEMP TABLE name
//   advisory: it calls a session-level advisory lock function; setConfig: it calls set_config()
//   refusal: null, or the reason it must not run on a shared session (LISTEN, DISCARD ALL,
//            DEALLOCATE ALL), read both with standard_conforming_strings on and off like COPY
export function sessionEffects(sql) {
  const fx = {
    sets: [],
    resets: [],
    resetAll: false,
    prepares: [],
    deallocates: [],
    tempTables: [],
    advisory: false,
    setConfig: false,
    refusal: null,
  };
  if (!/set|prepare|deallocate|temp|advisory|listen|discard/i.test(sql)) return fx;
  const words = /advisory|set_config/i.test(sql);
  const onWord = (word) => {
    if (ADVISORY_SESSION_LOCK.test(word)) fx.advisory = true;
    else if (word === "set_config") fx.setConfig = true;
  };
  for (const scs of [false, true]) {
    for (const st of statementTokens(sql, scs, 4)) {
      const r = refusalOf(st.tokens);
      if (r && !fx.refusal) fx.refusal = r;
    }
  }
  for (const st of statementTokens(sql, true, 16, words ? onWord : null)) {
    const t = st.tokens;
    const w = (i) => (t[i] && t[i].kind === "word" ? t[i].text : null);
    const name = (i) => (t[i] && (t[i].kind === "word" || t[i].kind === "ident") ? t[i].text : null);
    switch (w(0)) {
      case "set": {
        const set = setOf(t);
        if (set) fx.sets.push({ ...set, sql: sql.slice(st.start, st.end) });
        break;
      }
      case "reset": {
        if (w(1) === "all") fx.resetAll = true;
        else {
          const set = setOf([{ kind: "word", text: "set" }, ...t.slice(1)]);
          if (set) fx.resets.push(set.name);
        }
        break;
      }
      case "prepare":
        if (w(1) !== "transaction" || (t[2] && t[2].kind !== "string")) {
          if (name(1)) fx.prepares.push(name(1));
        }
        break;
      case "deallocate": {
        const i = w(1) === "prepare" ? 2 : 1;
        if (name(i) && w(i) !== "all") fx.deallocates.push(name(i));
        break;
      }
      case "create": {
        let i = 1;
        if (w(i) === "global" || w(i) === "local") i++;
        if (w(i) !== "temp" && w(i) !== "temporary") break;
        i++;
        if (w(i) === "unlogged") i++;
        if (w(i) !== "table") break;
        i++;
        if (w(i) === "if" && w(i + 1) === "not" && w(i + 2) === "exists") i += 3;
        // pg_temp.name: the table is the last part of a dotted name.
        while (name(i) && t[i + 1] && t[i + 1].text === "." && name(i + 2)) i += 2;
        if (name(i)) fx.tempTables.push(name(i));
        break;
      }
    }
  }
  return fx;
}

// setOf reads a SET statement's tokens into { name, reset }, or null for one that lasts only as
// long as its transaction (SET LOCAL, SET TRANSACTION, SET CONSTRAINTS) or is not tracked
// (SET SESSION CHARACTERISTICS).
function setOf(t) {
  let i = 1;
  const w = (k) => (t[k] && t[k].kind === "word" ? t[k].text : null);
  if (w(i) === "local") return null;
  if (w(i) === "session") {
    if (w(i + 1) === "authorization") return { name: "session_authorization", reset: "RESET SESSION AUTHORIZATION" };
    if (w(i + 1) === "characteristics") return null;
    i++;
  }
  switch (w(i)) {
    case "transaction":
    case "constraints":
      return null;
    case "time":
      if (w(i + 1) === "zone") return { name: "timezone", reset: "RESET timezone" };
      break;
    case "names":
      return { name: "client_encoding", reset: "RESET client_encoding" };
    case "schema":
      return { name: "search_path", reset: "RESET search_path" };
    case "role":
      return { name: "role", reset: "RESET ROLE" };
    case "xml":
      if (w(i + 1) === "option") return { name: "xmloption", reset: "RESET xmloption" };
      break;
  }
  // name[.name] up to = or TO (or the end, for RESET).
  const parts = [];
  for (; t[i]; i++) {
    const k = t[i];
    if (k.kind === "word" && k.text === "to") break;
    if (k.kind === "other" && k.text === "=") break;
    if (k.kind === "other" && k.text === ".") continue;
    if (k.kind !== "word" && k.kind !== "ident") return null;
    parts.push(k.kind === "word" ? k.text : k.text.toLowerCase());
  }
  if (parts.length === 0) return null;
  const name = parts.join(".");
  return { name, reset: `RESET ${parts.map(quoteIdent).join(".")}` };
}

function refusalOf(t) {
  const w = (k) => (t[k] && t[k].kind === "word" ? t[k].text : null);
  if (w(0) === "listen") {
    return "LISTEN is not supported by pglite-server: its clients share one PGlite session, so a notification could not be told to the client that listens";
  }
  if (w(0) === "discard" && w(1) === "all") {
    return "DISCARD ALL is not supported by pglite-server: its clients share one PGlite session, and it would drop the other clients' prepared statements (the server resets a client's own state when it disconnects)";
  }
  if (w(0) === "deallocate" && (w(1) === "all" || (w(1) === "prepare" && w(2) === "all"))) {
    return "DEALLOCATE ALL is not supported by pglite-server: its clients share one PGlite session, and it would drop the other clients' prepared statements; deallocate statements by name";
  }
  return null;
}
