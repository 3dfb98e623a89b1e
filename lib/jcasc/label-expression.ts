/**
 * Jenkins label expressions (`gpu && linux`, `a || !b`, `(a || b) && c`, `a -> b`, `a <-> b`): parsed and
 * evaluated against one template's labels, to tell whether some template can serve a job.
 * Precedence as in Jenkins: `!` > `&&` > `||` > `->` > `<->`. Atoms may be quoted with double quotes.
 */
type Expr =
  | { op: 'atom'; name: string }
  | { op: 'not'; arg: Expr }
  | { op: 'and' | 'or' | 'implies' | 'iff'; left: Expr; right: Expr };

const OPERATORS = ['<->', '->', '&&', '||', '!', '(', ')'];

function tokenize(text: string): string[] {
  const tokens: string[] = [];
  let i = 0;
  while (i < text.length) {
    if (/\s/.test(text[i])) {
      i++;
      continue;
    }
    const operator = OPERATORS.find((op) => text.startsWith(op, i));
    if (operator) {
      tokens.push(operator);
      i += operator.length;
    } else if (text[i] === '"') {
      const end = text.indexOf('"', i + 1);
      if (end < 0) throw new Error('unterminated quote');
      tokens.push(`atom:${text.slice(i + 1, end)}`);
      i = end + 1;
    } else {
      let j = i;
      while (j < text.length && !/\s/.test(text[j]) && !OPERATORS.some((op) => text.startsWith(op, j))) j++;
      tokens.push(`atom:${text.slice(i, j)}`);
      i = j;
    }
  }
  return tokens;
}

/** Parses a label expression; throws with a short reason when it is not one. */
function parseLabelExpression(text: string): Expr {
  const tokens = tokenize(text);
  let pos = 0;
  const peek = (): string | undefined => tokens[pos];
  const binary =
    (next: () => Expr, symbol: string, op: 'and' | 'or' | 'implies' | 'iff'): (() => Expr) =>
    () => {
      let left = next();
      while (peek() === symbol) {
        pos++;
        left = { op, left, right: next() };
      }
      return left;
    };
  const unary = (): Expr => {
    const token = peek();
    if (token === '!') {
      pos++;
      return { op: 'not', arg: unary() };
    }
    if (token === '(') {
      pos++;
      const inner = iff();
      if (peek() !== ')') throw new Error("missing ')'");
      pos++;
      return inner;
    }
    if (token?.startsWith('atom:')) {
      pos++;
      return { op: 'atom', name: token.slice(5) };
    }
    throw new Error(token === undefined ? 'unexpected end' : `unexpected '${token}'`);
  };
  const and = binary(unary, '&&', 'and');
  const or = binary(and, '||', 'or');
  const implies = binary(or, '->', 'implies');
  const iff = binary(implies, '<->', 'iff');
  const expression = iff();
  if (pos !== tokens.length) throw new Error(`unexpected '${tokens[pos].replace(/^atom:/, '')}'`);
  return expression;
}

function evaluateLabelExpression(expression: Expr, labels: ReadonlySet<string>): boolean {
  switch (expression.op) {
    case 'atom':
      return labels.has(expression.name);
    case 'not':
      return !evaluateLabelExpression(expression.arg, labels);
    case 'and':
      return (
        evaluateLabelExpression(expression.left, labels) && evaluateLabelExpression(expression.right, labels)
      );
    case 'or':
      return (
        evaluateLabelExpression(expression.left, labels) || evaluateLabelExpression(expression.right, labels)
      );
    case 'implies':
      return (
        !evaluateLabelExpression(expression.left, labels) || evaluateLabelExpression(expression.right, labels)
      );
    case 'iff':
      return (
        evaluateLabelExpression(expression.left, labels) === evaluateLabelExpression(expression.right, labels)
      );
  }
}

/** True when at least one template's label set satisfies the expression. */
export function isServed(expression: string, templateLabels: ReadonlyArray<ReadonlySet<string>>): boolean {
  const parsed = parseLabelExpression(expression);
  return templateLabels.some((labels) => evaluateLabelExpression(parsed, labels));
}
