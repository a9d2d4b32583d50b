/**
 * 127.0.0.0/8, ::1 and localhost: the only places a cloud token may travel without TLS (local fakes
 * and emulators). Every cloud adapter asks this before it allows a plain-http endpoint.
 */
export function isLoopback(url: string): boolean {
  const host = new URL(url).hostname.replace(/^\[|\]$/g, '');
  return host === 'localhost' || host === '::1' || /^127(\.\d{1,3}){3}$/.test(host);
}
