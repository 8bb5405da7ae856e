/**
 * Just enough of ClickHouse's lexer for what the HTTP layer must decide before the engine sees a
 * statement: its kind (readonly checks, streaming, INSERT data), the FORMAT it names (the
 * X-ClickHouse-Format header), where INSERT inline data begins, and whether a second statement
 * follows (ClickHouse's HTTP interface refuses multi-statements; chdb would run them all).
 * It never rewrites SQL. Scan a latin1 decoding of the bytes so offsets are byte offsets.
 */

export interface StatementHead {
  /** Upper-case first keyword (`SELECT`, `INSERT`, ...), '' if the text holds no statement. */
  kind: string;
  /** The format a top-level FORMAT clause names, as written (for INSERT: the input format). */
  format?: string;
  /**
   * INSERT only: where the inline data begins, and where the statement text before it ends.
   * `formatAt`: where `FORMAT name` begins (absent for VALUES); `settingsAt`: where a SETTINGS
   * clause before it begins.
   */
  data?: { statementEnd: number; dataStart: number; formatAt?: number; settingsAt?: number };
  /** Offset of a second statement after a top-level `;`. */
  secondStatementAt?: number;
  /** False when the text ran out before the head could be decided (more input may change it). */
  complete: boolean;
}

export interface ScanOptions {
  /** True when `text` is the whole statement, false when more may follow. */
  final: boolean;
  /** Lower-case format names; FORMAT followed by anything else is taken as a column alias. */
  formats?: ReadonlySet<string>;
}

const WORD_START = /[A-Za-z_\u0080-\u00ff]/;
const WORD_CHAR = /[A-Za-z0-9_\u0080-\u00ff]/;
const SPACE = /[ \t\n\r\f\v]/;

interface Token {
  kind: 'word' | 'punct' | 'literal';
  start: number;
  end: number;
  text: string;
}

class Lexer {
  pos = 0;
  depth = 0;
  /** Set when the text ended inside a token (string, comment, quoted name). */
  truncated = false;

  constructor(readonly text: string) {}

  /** Skips whitespace and comments; returns false at the end of the text. */
  skipTrivia(): boolean {
    const t = this.text;
    while (this.pos < t.length) {
      const c = t[this.pos];
      if (SPACE.test(c)) {
        this.pos++;
      } else if (c === '-' && t[this.pos + 1] === '-') {
        const nl = t.indexOf('\n', this.pos);
        this.pos = nl === -1 ? t.length : nl + 1;
      } else if (c === '/' && t[this.pos + 1] === '*') {
        this.skipBlockComment();
      } else {
        return true;
      }
    }
    return false;
  }

  private skipBlockComment(): void {
    // ClickHouse block comments nest.
    let nesting = 0;
    const t = this.text;
    while (this.pos < t.length) {
      if (t[this.pos] === '/' && t[this.pos + 1] === '*') {
        nesting++;
        this.pos += 2;
      } else if (t[this.pos] === '*' && t[this.pos + 1] === '/') {
        nesting--;
        this.pos += 2;
        if (nesting === 0) return;
      } else {
        this.pos++;
      }
    }
    this.truncated = true;
  }

  private skipQuoted(quote: string): void {
    const t = this.text;
    this.pos++;
    while (this.pos < t.length) {
      const c = t[this.pos];
      if (c === '\\') {
        this.pos += 2;
      } else if (c === quote) {
        if (t[this.pos + 1] === quote) {
          this.pos += 2;
        } else {
          this.pos++;
          return;
        }
      } else {
        this.pos++;
      }
    }
    this.pos = t.length;
    this.truncated = true;
  }

  private skipHeredoc(tag: string): void {
    const close = this.text.indexOf(tag, this.pos + tag.length);
    if (close === -1) {
      this.pos = this.text.length;
      this.truncated = true;
    } else {
      this.pos = close + tag.length;
    }
  }

  /** The next token after trivia, or undefined at the end. Tracks bracket depth. */
  next(): Token | undefined {
    if (!this.skipTrivia()) return undefined;
    const t = this.text;
    const start = this.pos;
    const c = t[start];
    if (WORD_START.test(c)) {
      while (this.pos < t.length && WORD_CHAR.test(t[this.pos])) this.pos++;
      return { kind: 'word', start, end: this.pos, text: t.slice(start, this.pos) };
    }
    if (c === "'" || c === '"' || c === '`') {
      this.skipQuoted(c);
      return { kind: 'literal', start, end: this.pos, text: '' };
    }
    if (c === '$') {
      const tag = /^\$[A-Za-z0-9_]*\$/.exec(t.slice(start, start + 64));
      if (tag) {
        this.skipHeredoc(tag[0]);
        return { kind: 'literal', start, end: this.pos, text: '' };
      }
    }
    if (/[0-9]/.test(c)) {
      while (this.pos < t.length && /[0-9A-Za-z_.]/.test(t[this.pos])) this.pos++;
      return { kind: 'literal', start, end: this.pos, text: '' };
    }
    this.pos++;
    if (c === '(' || c === '[' || c === '{') this.depth++;
    else if (c === ')' || c === ']' || c === '}') this.depth = Math.max(0, this.depth - 1);
    return { kind: 'punct', start, end: this.pos, text: c };
  }
}

/** Where INSERT data starts after `FORMAT name`: ClickHouse skips blanks up to and including one newline. */
function dataStartAfter(text: string, from: number): number | undefined {
  let pos = from;
  while (pos < text.length && text[pos] !== '\n' && SPACE.test(text[pos])) pos++;
  if (pos >= text.length) return undefined;
  return text[pos] === '\n' ? pos + 1 : pos;
}

export function scanStatement(text: string, options: ScanOptions): StatementHead {
  const lex = new Lexer(text);
  const isFormat = (name: string): boolean => !options.formats || options.formats.has(name.toLowerCase());
  const head: StatementHead = { kind: '', complete: true };
  let previous: Token | undefined;
  let insertHasNoInlineData = false;
  let settingsAt: number | undefined;

  for (let token = lex.next(); token; previous = token, token = lex.next()) {
    if (!head.kind) {
      // `(SELECT ...) UNION ...` is still a SELECT.
      if (token.kind === 'word') head.kind = token.text.toUpperCase();
      else if (token.text !== '(') return { ...head, kind: token.text || token.kind };
      continue;
    }
    if (token.kind === 'punct' && token.text === ';' && lex.depth === 0) {
      while (lex.skipTrivia() && text[lex.pos] === ';') lex.pos++;
      if (lex.pos < text.length) head.secondStatementAt = lex.pos;
      break;
    }
    if (token.kind !== 'word' || lex.depth !== 0) continue;
    const word = token.text.toUpperCase();
    const namesFormat = previous?.kind === 'word' && previous.text.toUpperCase() === 'FORMAT' && isFormat(token.text);

    if (head.kind !== 'INSERT') {
      if (namesFormat) head.format = token.text;
    } else if (!insertHasNoInlineData) {
      if (word === 'SELECT' || word === 'WITH' || word === 'INFILE') {
        insertHasNoInlineData = true;
      } else if (word === 'SETTINGS' && settingsAt === undefined) {
        settingsAt = token.start;
      } else if (word === 'VALUES' || namesFormat) {
        const dataStart = word === 'VALUES' ? (token.end < text.length ? token.end : undefined) : dataStartAfter(text, token.end);
        if (dataStart === undefined && !options.final) return { ...head, complete: false };
        head.format = word === 'VALUES' ? 'Values' : token.text;
        head.data = { statementEnd: token.end, dataStart: dataStart ?? text.length, ...(word === 'VALUES' ? {} : { formatAt: previous!.start, settingsAt }) };
        return head;
      }
    }
  }
  if (lex.truncated && !options.final) head.complete = false;
  if (!options.final && head.kind === 'INSERT' && !head.data && !insertHasNoInlineData) head.complete = false;
  return head;
}

export interface SqlToken {
  kind: 'word' | 'punct' | 'literal';
  /** The token as written: a word, one punctuation character, or a literal with its quotes. */
  text: string;
  start: number;
}

/** Every token of `text` (comments and whitespace skipped), for checks that look past the head. */
export function sqlTokens(text: string): SqlToken[] {
  const lex = new Lexer(text);
  const out: SqlToken[] = [];
  for (let token = lex.next(); token; token = lex.next()) {
    out.push({ kind: token.kind, text: token.kind === 'literal' ? text.slice(token.start, token.end) : token.text, start: token.start });
  }
  return out;
}
