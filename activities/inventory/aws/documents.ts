import type { ActionCatalogue, DocumentAction, PolicyDocument, SkippedItem } from '../../../domain/inventory/model';
import { expandAwsPolicy } from '../../../domain/inventory/aws-policy';
import { SkipReason } from '../../../domain/inventory/skip-reasons';
import { AwsSkipReason } from './skip-reasons';
import { contentId } from '../documents';

/**
 * AWS policy documents as the inventory stores them: addressed by content, so one policy held by a
 * thousand roles (or the same inline body pasted on many) is stored and expanded once.
 */

export interface ExpandedDocument {
  document: PolicyDocument;
  actions: DocumentAction[];
}

/**
 * IAM returns policy documents URL-encoded (RFC 3986) in its query-protocol answers; some tools and
 * emulators hand them back plain. Either way the result is the parsed body, or a reason it is not one.
 * Plain JSON is taken as it is (decoding it would turn a `%41` in a value into `A`), and IAM's text is
 * percent-decoded only, as botocore does: RFC 3986 writes a space as `%20`, so a `+` is a plus.
 */
export function parsePolicyText(text: string): { body: unknown } | { error: string } {
  const attempts = [text];
  try {
    const decoded = decodeURIComponent(text);
    if (decoded !== text) attempts.push(decoded);
  } catch {
    // not URL-encoded: the text itself is the candidate
  }
  let lastError = 'empty document';
  for (const candidate of attempts) {
    try {
      return { body: JSON.parse(candidate) as unknown };
    } catch (error) {
      lastError = (error as Error).message;
    }
  }
  return { error: lastError };
}

/** Expands a policy body into a stored document; whatever the expansion cannot read comes back as skipped. */
export function awsDocument(
  catalogue: ActionCatalogue,
  body: unknown,
  name: string,
  managedByCloud: boolean,
): { expanded: ExpandedDocument; skipped: SkippedItem[] } {
  const id = contentId(body);
  const { actions, skipped } = expandAwsPolicy(catalogue, id, body);
  return {
    expanded: { document: { id, cloud: 'aws', kind: 'aws-policy', name, managedByCloud, body }, actions },
    // expansion names the document by its content id; people know it by its policy name
    skipped: skipped.map((item) => ({ ...item, item: !item.item || item.item === id ? name : item.item })),
  };
}

/** AWS-managed policies live under the `aws` account in their ARN: `arn:aws:iam::aws:policy/…`. */
export function isAwsManagedPolicy(arn: string): boolean {
  return /^arn:aws[a-z-]*:iam::aws:policy\//.test(arn);
}

/** Documents of one page, each once, in the order first met. */
export class DocumentBatch {
  private readonly byId = new Map<string, ExpandedDocument>();
  readonly skipped: SkippedItem[] = [];

  constructor(private readonly catalogue: ActionCatalogue) {}

  /** The document's content id, or undefined when the text is not a policy (then it is counted skipped). */
  addText(text: string | undefined, name: string, managedByCloud: boolean): string | undefined {
    if (text === undefined) {
      this.skipped.push({ reason: AwsSkipReason.PolicyDocumentMissing, item: name });
      return undefined;
    }
    const parsed = parsePolicyText(text);
    if ('error' in parsed) {
      this.skipped.push({ reason: SkipReason.PolicyJsonInvalid, item: name, detail: parsed.error });
      return undefined;
    }
    return this.addBody(parsed.body, name, managedByCloud);
  }

  addBody(body: unknown, name: string, managedByCloud: boolean): string {
    const id = contentId(body);
    if (this.byId.has(id)) return id;
    const { expanded, skipped } = awsDocument(this.catalogue, body, name, managedByCloud);
    this.byId.set(id, expanded);
    this.skipped.push(...skipped);
    return id;
  }

  has(id: string): boolean {
    return this.byId.has(id);
  }

  documents(): ExpandedDocument[] {
    return [...this.byId.values()];
  }
}
