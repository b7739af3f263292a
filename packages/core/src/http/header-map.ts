import { HttpProtocolError } from '../errors/index.js';

/**
 * An ordered list of HTTP header fields, names compared case-insensitively, duplicates kept.
 * Stored flat (`name, value, name, value, ...`) because that is what Node's parser hands us
 * (`rawHeaders`) and what `ServerResponse.writeHead` accepts, so the common path copies nothing.
 * Names keep the case they arrived with; values set through the API are checked for CR/LF so a
 * filter cannot smuggle a header or a second message.
 */
export class HeaderMap {
  /** `name, value, name, value, ...` — read it freely; change it through the methods. */
  raw: string[];

  constructor(raw: string[] = []) {
    this.raw = raw;
  }

  /** From a Node header object (`{ name: value | value[] }`); keys starting with ':' (h2 pseudo-headers) are skipped. */
  static fromObject(obj: Record<string, string | string[] | number | undefined>): HeaderMap {
    const raw: string[] = [];
    for (const name in obj) {
      if (name.charCodeAt(0) === 58 /* : */) continue;
      const v = obj[name];
      if (v === undefined) continue;
      if (Array.isArray(v)) for (const item of v) raw.push(name, item);
      else raw.push(name, typeof v === 'string' ? v : String(v));
    }
    return new HeaderMap(raw);
  }

  get size(): number {
    return this.raw.length >> 1;
  }

  /** The first value of `name`, or undefined. */
  get(name: string): string | undefined {
    const i = this.indexOf(name, 0);
    return i < 0 ? undefined : this.raw[i + 1];
  }

  /** Every value of `name`, in order. */
  getAll(name: string): string[] {
    const out: string[] = [];
    for (let i = this.indexOf(name, 0); i >= 0; i = this.indexOf(name, i + 2)) out.push(this.raw[i + 1]!);
    return out;
  }

  has(name: string): boolean {
    return this.indexOf(name, 0) >= 0;
  }

  /** Replaces every `name` field with one field holding `value` (kept at the first one's position). */
  set(name: string, value: string): this {
    checkField(name, value);
    const i = this.indexOf(name, 0);
    if (i < 0) {
      this.raw.push(name, value);
      return this;
    }
    this.raw[i + 1] = value;
    this.removeFrom(name, i + 2);
    return this;
  }

  /** Adds a field after the existing ones. */
  append(name: string, value: string): this {
    checkField(name, value);
    this.raw.push(name, value);
    return this;
  }

  /** Removes every `name` field; returns how many were removed. */
  remove(name: string): number {
    return this.removeFrom(name, 0);
  }

  forEach(fn: (name: string, value: string) => void): void {
    const raw = this.raw;
    for (let i = 0; i < raw.length; i += 2) fn(raw[i]!, raw[i + 1]!);
  }

  /** A Node-style object: lower-case names, repeated names as arrays. */
  toObject(): Record<string, string | string[]> {
    const out: Record<string, string | string[]> = {};
    const raw = this.raw;
    for (let i = 0; i < raw.length; i += 2) {
      const name = raw[i]!.toLowerCase();
      const prev = out[name];
      if (prev === undefined) out[name] = raw[i + 1]!;
      else if (Array.isArray(prev)) prev.push(raw[i + 1]!);
      else out[name] = [prev, raw[i + 1]!];
    }
    return out;
  }

  clone(): HeaderMap {
    return new HeaderMap(this.raw.slice());
  }

  private indexOf(name: string, from: number): number {
    const raw = this.raw;
    const len = name.length;
    let lower: string | undefined;
    for (let i = from; i < raw.length; i += 2) {
      const n = raw[i]!;
      if (n.length !== len) continue;
      if (n === name) return i;
      lower ??= name.toLowerCase();
      if (n.toLowerCase() === lower) return i;
    }
    return -1;
  }

  private removeFrom(name: string, from: number): number {
    let removed = 0;
    for (let i = this.indexOf(name, from); i >= 0; i = this.indexOf(name, i)) {
      this.raw.splice(i, 2);
      removed++;
    }
    return removed;
  }
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const BAD_VALUE = /[\r\n\0]/;

function checkField(name: string, value: string): void {
  if (!TOKEN.test(name)) throw new HttpProtocolError(`invalid header name ${JSON.stringify(name)}`, 'internal');
  if (BAD_VALUE.test(value)) throw new HttpProtocolError(`invalid value for header ${name}: contains CR, LF or NUL`, 'internal');
}
