/**
 * The XML of the S3 Control API (REST-XML), both ways, for the few documents Batch Operations
 * uses. Plain objects map to elements; arrays map to repeated `member` elements (the S3 Control
 * list shape) unless the list names its own element (`FailureReasons` holds `JobFailure`).
 */

export const S3CONTROL_NAMESPACE = 'http://awss3control.amazonaws.com/doc/2018-08-20/';

export type XmlValue = string | number | boolean | XmlObject | XmlValue[];
export interface XmlObject {
  [name: string]: XmlValue | undefined;
}

/** Lists whose items are not named `member`. */
const LIST_ITEM_NAMES: Record<string, string> = { FailureReasons: 'JobFailure' };
/** Elements that are lists even when they hold one item or none. */
const LIST_NAMES = new Set(['Jobs', 'Fields', 'FailureReasons', 'Tags']);
const NUMBER_NAMES = new Set(['Priority', 'TotalNumberOfTasks', 'NumberOfTasksSucceeded', 'NumberOfTasksFailed', 'ElapsedTimeInActiveSeconds', 'ExpirationInDays']);
const BOOLEAN_NAMES = new Set(['ConfirmationRequired', 'Enabled']);

/** A malformed document: the service answers it as a bad request. */
export class MalformedXmlError extends Error {
  override readonly name = 'MalformedXmlError';
}

export function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!);
}

function unescapeXml(text: string): string {
  return text.replace(/&(lt|gt|amp|quot|apos|#x[0-9a-fA-F]+|#\d+);/g, (_, entity: string) => {
    if (entity.startsWith('#x')) return String.fromCodePoint(parseInt(entity.slice(2), 16));
    if (entity.startsWith('#')) return String.fromCodePoint(parseInt(entity.slice(1), 10));
    return { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" }[entity]!;
  });
}

/** `{ Root: {...} }` as a document; undefined members are left out. */
export function toXml(root: string, value: XmlObject, namespace = S3CONTROL_NAMESPACE): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<${root} xmlns="${namespace}">${childrenXml(value)}</${root}>`;
}

function childrenXml(value: XmlObject): string {
  return Object.entries(value)
    .filter(([, v]) => v !== undefined)
    .map(([name, v]) => elementXml(name, v!))
    .join('');
}

function elementXml(name: string, value: XmlValue): string {
  if (Array.isArray(value)) {
    const item = LIST_ITEM_NAMES[name] ?? 'member';
    return `<${name}>${value.map((v) => elementXml(item, v)).join('')}</${name}>`;
  }
  if (typeof value === 'object') return `<${name}>${childrenXml(value)}</${name}>`;
  return `<${name}>${escapeXml(String(value))}</${name}>`;
}

interface Node {
  name: string;
  children: Node[];
  text: string;
}

/** Parses a document into plain objects (numbers and booleans by element name); MalformedXmlError if it is not well formed. */
export function fromXml(xml: string): { root: string; value: XmlObject } {
  const node = parseDocument(xml);
  const value = nodeValue(node);
  return { root: node.name, value: typeof value === 'object' && !Array.isArray(value) ? value : {} };
}

function nodeValue(node: Node): XmlValue {
  if (LIST_NAMES.has(node.name)) return node.children.map(nodeValue);
  if (node.children.length === 0) {
    if (NUMBER_NAMES.has(node.name)) return Number(node.text);
    if (BOOLEAN_NAMES.has(node.name)) return node.text.trim() === 'true';
    return node.text;
  }
  const object: XmlObject = {};
  for (const child of node.children) object[child.name] = nodeValue(child);
  return object;
}

const TOKEN = /<\?[\s\S]*?\?>|<!--[\s\S]*?-->|<\/\s*([A-Za-z_][\w.:-]*)\s*>|<([A-Za-z_][\w.:-]*)((?:\s+[\w.:-]+\s*=\s*(?:"[^"]*"|'[^']*'))*)\s*(\/?)>|([^<]+)/gy;

function parseDocument(xml: string): Node {
  const stack: Node[] = [];
  let root: Node | undefined;
  TOKEN.lastIndex = 0;
  const text = xml.trim();
  while (TOKEN.lastIndex < text.length) {
    const start = TOKEN.lastIndex;
    const match = TOKEN.exec(text);
    if (!match) throw new MalformedXmlError(`The XML is not well formed near offset ${start}`);
    const [, closing, opening, , selfClosing, chars] = match;
    if (closing) {
      const open = stack.pop();
      if (open?.name !== closing) throw new MalformedXmlError(`Unexpected closing tag </${closing}>`);
      if (stack.length === 0) root = open;
    } else if (opening) {
      if (root) throw new MalformedXmlError('Content after the root element');
      const node: Node = { name: opening.replace(/^.*:/, ''), children: [], text: '' };
      stack.at(-1)?.children.push(node);
      if (selfClosing) {
        if (stack.length === 0) root = node;
      } else stack.push(node);
    } else if (chars !== undefined) {
      if (stack.length === 0) {
        if (chars.trim()) throw new MalformedXmlError('Text outside the root element');
      } else stack.at(-1)!.text += unescapeXml(chars);
    }
  }
  if (!root || stack.length > 0) throw new MalformedXmlError('The XML document is incomplete');
  return root;
}
