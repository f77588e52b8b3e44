/**
 * A small model of IAM evaluation over synthesized policy statements, enough to ask "may this
 * role do action A on resource R?" the way IAM would: wildcards in actions and resources match,
 * an explicit Deny wins. Template references render as cdk-nag renders them (`<Logical.Arn>`).
 */
export interface Statement {
  readonly Effect: 'Allow' | 'Deny';
  readonly Action: string | readonly string[];
  readonly Resource: unknown;
}

export function allows(statements: readonly Statement[], action: string, resource: string): boolean {
  const matching = statements.filter(
    (s) =>
      [s.Action].flat().some((a) => glob(a, action, true)) &&
      [s.Resource].flat().some((r) => glob(resourceName(r), resource, false)),
  );
  return matching.some((s) => s.Effect === 'Allow') && !matching.some((s) => s.Effect === 'Deny');
}

/** `{Ref: X}` → `<X>`, `{'Fn::GetAtt': [X, 'Arn']}` → `<X.Arn>`, `Fn::Join` → the joined parts. */
export function resourceName(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value);
    if (entries.length === 1) {
      const [fn, arg] = entries[0]!;
      if (fn === 'Ref' && typeof arg === 'string') return `<${arg}>`;
      if (fn === 'Fn::GetAtt' && Array.isArray(arg)) return `<${arg.join('.')}>`;
      if (fn === 'Fn::Join' && Array.isArray(arg) && Array.isArray(arg[1])) {
        return (arg[1] as unknown[]).map(resourceName).join(String(arg[0]));
      }
    }
  }
  throw new Error(`Cannot render resource ${JSON.stringify(value)}`);
}

/** IAM pattern match: `*` any run of characters, `?` one character. */
function glob(pattern: string, value: string, caseInsensitive: boolean): boolean {
  if (pattern === value) return true;
  const source = pattern
    .split('')
    .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
    .join('');
  return new RegExp(`^${source}$`, caseInsensitive ? 'i' : '').test(value);
}
