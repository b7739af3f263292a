import { HeaderMap } from './header-map.js';

/** A request head as the proxy sees it, whatever the HTTP version on the wire. */
export class RequestHead {
  constructor(
    public method: string,
    /** The request target: path and query ("origin-form"). */
    public path: string,
    /** Host header (HTTP/1.1) or :authority (HTTP/2); empty when the client sent neither. */
    public authority: string,
    /** Regular header fields; never HTTP/2 pseudo-headers. */
    public headers: HeaderMap,
  ) {}
}

/** A response head. `reason` is only meaningful on HTTP/1.1. */
export class ResponseHead {
  constructor(
    public status: number,
    public headers: HeaderMap,
    public reason = '',
  ) {}
}

export { HeaderMap };
