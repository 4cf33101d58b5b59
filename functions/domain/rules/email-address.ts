/**
 * A plain address check, shared by the CLI (users add, --notify), the library and the local SES;
 * not RFC 5322: one @, a dot in the domain, no spaces or brackets, and printable ASCII only,
 * because SES takes no SMTPUTF8 (a local part must be 7-bit ASCII, a Unicode domain Punycode).
 */
export const EMAIL_ADDRESS = /^(?=[\x21-\x7e]+$)[^@<>()]+@[^@<>()]+\.[^@<>()]+$/;
