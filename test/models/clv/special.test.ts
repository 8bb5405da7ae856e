import { describe, test } from 'node:test';
import { digamma, hyp2f1, lbeta, lgamma, logAddExp } from '../../../models/clv/special.ts';
import { assertClose, assertRel } from './helpers.ts';

const EULER = 0.5772156649015329;

describe('lgamma', () => {
  const cases: [number, number][] = [
    [1, 0],
    [2, 0],
    [0.5, 0.5 * Math.log(Math.PI)],
    [10, Math.log(362880)],
    [3.5, Math.log((15 * Math.sqrt(Math.PI)) / 8)],
    [0.1, Math.log(9.513507698668732)],
    [100, 359.1342053695754],
  ];
  for (const [x, want] of cases) {
    test(`ln Γ(${x})`, () => assertClose(lgamma(x), want, 1e-13 * Math.max(1, Math.abs(want))));
  }
  test('ln B(a, b) = ln[Γ(a)Γ(b)/Γ(a+b)]: B(2, 3) = 1/12', () => assertClose(lbeta(2, 3), Math.log(1 / 12), 1e-14));
});

describe('digamma', () => {
  const cases: [number, number][] = [
    [1, -EULER],
    [0.5, -EULER - 2 * Math.log(2)],
    [4, -EULER + 1 + 1 / 2 + 1 / 3],
    [0.25, -EULER - Math.PI / 2 - 3 * Math.log(2)],
  ];
  for (const [x, want] of cases) test(`ψ(${x})`, () => assertClose(digamma(x), want, 1e-13));
  test('ψ(x+1) − ψ(x) = 1/x across the switch to the asymptotic series', () => {
    for (const x of [0.3, 5.5, 9.99, 10, 37.2]) assertClose(digamma(x + 1) - digamma(x), 1 / x, 1e-13);
  });
});

describe('hyp2f1 against closed forms', () => {
  test('₂F₁(1, 1; 2; z) = −ln(1−z)/z', () => {
    for (const z of [1e-6, 0.1, 0.5, 0.9, 0.99]) assertRel(hyp2f1(1, 1, 2, z), -Math.log1p(-z) / z, 1e-13, `z=${z}`);
  });
  test('₂F₁(a, b; b; z) = (1−z)^(−a)', () => {
    for (const [a, b, z] of [[0.3, 2.5, 0.4], [-0.7, 1.1, 0.8], [3.2, 7, 0.95]]) {
      assertRel(hyp2f1(a, b, b, z), Math.pow(1 - z, -a), 1e-12, `a=${a} b=${b} z=${z}`);
    }
  });
  test('₂F₁(1/2, 1; 3/2; z²) = atanh(z)/z', () => {
    for (const z of [0.2, 0.7, 0.97]) assertRel(hyp2f1(0.5, 1, 1.5, z * z), Math.atanh(z) / z, 1e-12, `z=${z}`);
  });
  test('terminates for a negative integer numerator: ₂F₁(−2, b; c; z) is a polynomial', () => {
    const [b, c, z] = [1.5, 2.5, 0.6];
    assertRel(hyp2f1(-2, b, c, z), 1 - (2 * b * z) / c + (b * (b + 1) * z * z) / (c * (c + 1)), 1e-14);
  });
});

test('logAddExp is ln(e^u + e^v) without overflow', () => {
  assertClose(logAddExp(Math.log(2), Math.log(3)), Math.log(5), 1e-15);
  assertClose(logAddExp(1000, 1000), 1000 + Math.log(2), 1e-12);
  assertClose(logAddExp(-Infinity, -3), -3, 0);
});
