/** A plain address check, shared by the CLI (users add) and the local SES; not RFC 5322, just no spaces or brackets, one @, a dot in the domain. */
export const EMAIL_ADDRESS = /^[^\s@<>()]+@[^\s@<>()]+\.[^\s@<>()]+$/;
