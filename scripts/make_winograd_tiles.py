#!/usr/bin/env python3
"""Writes Sources/CGEMM/winograd_f45_tiles.h: the tile transforms of Winograd F(4x4,5x5).

F(m, r) computes m outputs of an r-tap filter from a = m + r - 1 inputs with a products
(Lavin & Gray 2016, the Toom-Cook construction): y = A^T [(G g) . (B^T d)], in 2-D
Y = A^T [(G g G^T) . (B^T d B)] A. For F(4x4,5x5), a = 8 and the points are 0, 1, -1, 2,
-2, 1/2, -1/2 and infinity (the set NNPACK and Lavin use for 8x8 tiles). A^T (4 x 8) and
G (8 x 5) follow from the points; B^T (8 x 8) is solved for exactly (rational arithmetic)
from the identity sum_j AT[i][j] G[j][k] BT[j][l] = [l == i + k], which every entry of the
result must satisfy, and the script checks it.

The C macros it writes compute each output as a fixed sequence of IEEE operations: rows of
a matrix that agree on the even columns and are negated on the odd ones share their two
partial sums (out_p = even + odd, out_q = even - odd), which halves the work of six of the
eight rows; everything else is a sum in column order. Coefficients are exact in binary
(quarters, halves, 2, 4, 5, 8, 21/4, 17/4), and CGEMM is compiled with -ffp-contract=off,
so every instruction-set path gives the same bits. G is not exact in binary (1/90, 2/9);
the filter transforms are in Swift (ImbalanceKernels' Winograd.swift) from `G` below.

Run with plain python3 (no packages), and commit the header with any change here:

    python3 scripts/make_winograd_tiles.py > Sources/CGEMM/winograd_f45_tiles.h
"""
from fractions import Fraction as Fr
import sys

M, R = 4, 5
A = M + R - 1
POINTS = [Fr(0), Fr(1), Fr(-1), Fr(2), Fr(-2), Fr(1, 2), Fr(-1, 2)]


def matrices():
    at = [[Fr(0)] * A for _ in range(M)]
    g = [[Fr(0)] * R for _ in range(A)]
    for j, p in enumerate(POINTS):
        n = Fr(1)
        for l, q in enumerate(POINTS):
            if l != j:
                n *= p - q
        for i in range(M):
            at[i][j] = p ** i
        for k in range(R):
            g[j][k] = p ** k / n
    at[M - 1][A - 1] = Fr(1)
    g[A - 1][R - 1] = Fr(1)
    # B^T column by column: unknowns BT[0..A-1][l], equations over (i, k).
    bt = [[Fr(0)] * A for _ in range(A)]
    for l in range(A):
        rows = [[at[i][j] * g[j][k] for j in range(A)] + [Fr(int(l == i + k))]
                for i in range(M) for k in range(R)]
        x = solve(rows, A)
        for j in range(A):
            bt[j][l] = x[j]
    for i in range(M):
        for k in range(R):
            for l in range(A):
                s = sum(at[i][j] * g[j][k] * bt[j][l] for j in range(A))
                assert s == int(l == i + k), (i, k, l, s)
    # Sign convention: make each row of B^T start with a positive entry (negating row j of
    # B^T and of G leaves every product U_j V_j, so the result, unchanged).
    for j in range(A):
        first = next(v for v in bt[j] if v != 0)
        if first < 0:
            bt[j] = [-v for v in bt[j]]
            g[j] = [-v for v in g[j]]
    return at, g, bt


def solve(rows, n):
    """Solves the consistent (possibly overdetermined) augmented system exactly."""
    rows = [r[:] for r in rows]
    pivots, r0 = [], 0
    for c in range(n):
        p = next((i for i in range(r0, len(rows)) if rows[i][c] != 0), None)
        if p is None:
            continue
        rows[r0], rows[p] = rows[p], rows[r0]
        piv = rows[r0][c]
        rows[r0] = [v / piv for v in rows[r0]]
        for i in range(len(rows)):
            if i != r0 and rows[i][c] != 0:
                f = rows[i][c]
                rows[i] = [a - f * b for a, b in zip(rows[i], rows[r0])]
        pivots.append(c)
        r0 += 1
    assert len(pivots) == n, "B^T is not determined"
    for r in rows[r0:]:
        assert r[n] == 0, "inconsistent system"
    return [rows[i][n] for i in range(n)]


def lit(c):
    f = float(c)
    assert Fr(f) == c, c
    return repr(f) + "f"


def term(c, x):
    """(sign, text) of c * x."""
    if c == 1:
        return 1, x
    if c == -1:
        return -1, x
    return (1, f"{lit(c)} * {x}") if c > 0 else (-1, f"{lit(-c)} * {x}")


def total(terms):
    out = ""
    for sign, text in terms:
        if not out:
            out = text if sign > 0 else f"-({text})" if " " in text else f"-{text}"
        else:
            out += (" + " if sign > 0 else " - ") + text
    return out or "0.0f"


def apply(mat, xs, prefix):
    """Statements computing mat . xs into prefix0..prefixN (lists of C declarations)."""
    n, cols = len(mat), len(mat[0])
    pairs = column_pairs(mat)
    if pairs:
        return apply_column_pairs(mat, xs, prefix, pairs)
    done, lines = set(), []
    for p in range(n):
        if p in done:
            continue
        q = next((q for q in range(p + 1, n) if q not in done and pair(mat[p], mat[q])), None)
        if q is None:
            lines.append(f"{prefix}{p} = "
                         + total([term(mat[p][j], xs[j]) for j in range(cols) if mat[p][j]]))
            done.add(p)
            continue
        even = [j for j in range(cols) if mat[p][j] and mat[p][j] == mat[q][j]]
        odd = [j for j in range(cols) if mat[p][j] and mat[p][j] == -mat[q][j]]
        e = total([term(mat[p][j], xs[j]) for j in even])
        o = total([term(mat[p][j], xs[j]) for j in odd])
        lines.append(f"e{prefix}{p} = {e}")
        lines.append(f"o{prefix}{p} = {o}")
        lines.append(f"{prefix}{p} = e{prefix}{p} + o{prefix}{p}")
        lines.append(f"{prefix}{q} = e{prefix}{p} - o{prefix}{p}")
        done.update((p, q))
    return lines


def column_pairs(mat):
    """Columns (j, k) that every row uses with equal or opposite coefficients (A^T's
    1 and -1, 2 and -2, 1/2 and -1/2): x_j + x_k and x_j - x_k are then formed once."""
    cols, used, pairs = len(mat[0]), set(), []
    for j in range(cols):
        for k in range(j + 1, cols):
            if j in used or k in used:
                continue
            same = all(r[j] == r[k] or r[j] == -r[k] for r in mat)
            both = any(r[j] and r[j] == r[k] for r in mat) and any(r[j] and r[j] == -r[k]
                                                                    for r in mat)
            if same and both:
                pairs.append((j, k))
                used.update((j, k))
    return pairs


def apply_column_pairs(mat, xs, prefix, pairs):
    lines, paired = [], {}
    for j, k in pairs:
        lines.append(f"s{prefix}{j} = {xs[j]} + {xs[k]}")
        lines.append(f"d{prefix}{j} = {xs[j]} - {xs[k]}")
        paired[j] = k
    skip = set(paired.values())
    for i, row in enumerate(mat):
        terms = []
        for j in range(len(row)):
            if j in skip or row[j] == 0:
                continue
            if j in paired:
                name = f"s{prefix}{j}" if row[j] == row[paired[j]] else f"d{prefix}{j}"
                terms.append(term(row[j], name))
            else:
                terms.append(term(row[j], xs[j]))
        lines.append(f"{prefix}{i} = " + total(terms))
    return lines


def pair(a, b):
    """Rows equal on one set of columns and negated on the other, both non-empty."""
    same = [j for j in range(len(a)) if a[j] != 0 and a[j] == b[j]]
    neg = [j for j in range(len(a)) if a[j] != 0 and a[j] == -b[j]]
    return (same and neg and len(same) + len(neg) == sum(1 for v in a if v)
            and sum(1 for v in b if v) == len(same) + len(neg))


def transposed(m):
    return [list(r) for r in zip(*m)]


def macro(name, params, body):
    lines = [f"#define {name}({', '.join(params)}) do {{"]
    lines += [f"    {s}" for s in body]
    lines.append("} while (0)")
    width = max(len(s) for s in lines) + 2
    return "\n".join(s.ljust(width) + "\\" if i < len(lines) - 1 else s
                     for i, s in enumerate(lines))


def declare(stmts, t="T"):
    return [f"{t} {s};" for s in stmts]


def main():
    at, g, bt = matrices()
    a_ = transposed(at)  # A (8 x 4)
    out = [__doc__.split("\n")[0].replace('Writes ', '/* Written by scripts/make_winograd_tiles.py: ')
           .rstrip(".") + ". Do not edit."]
    out[0] = ("/* Generated by scripts/make_winograd_tiles.py (do not edit): the tile transforms"
              " of\n * Winograd F(4x4,5x5), 8x8 tiles, in the calling convention of winograd.c's"
              " F(2x2,3x3)\n * macros (T a lane type, L and S its load and store). B^T, A^T:\n")
    for name, mat in (("B^T", bt), ("A^T", at)):
        for row in mat:
            out[0] += " *   " + name + " [" + ", ".join(str(v) for v in row) + "]\n"
    out[0] += " */"

    # V = B^T d B: columns first, then rows.
    body = []
    for j in range(A):
        xs = [f"L((base) + {i} * (rs) + {j} * (cs))" for i in range(A)]
        body += declare([f"d{i}_{j} = {xs[i]}" for i in range(A)])
        body += declare(apply(bt, [f"d{i}_{j}" for i in range(A)], f"t{j}_"))
    for i in range(A):
        body += declare(apply(bt, [f"t{l}_{i}" for l in range(A)], f"v{i}_"))
        body += [f"S((out) + {A * i + k} * (os), v{i}_{k});" for k in range(A)]
    out.append("/* V = B^T d B for one 8x8 tile: d(i, j) at base + i*rs + j*cs, V(8i + j) to\n"
               " * out + (8i + j)*os. t{j}_{i} is (B^T d)(i, j). */")
    out.append(macro("WG45_INPUT_TILE", ["T", "L", "S", "base", "rs", "cs", "out", "os"], body))

    # Y = A^T M A + bias: columns first (q = A^T M, 4 x 8), then rows.
    body = []
    for l in range(A):
        xs = [f"L((in) + {k * A + l} * (is))" for k in range(A)]
        body += declare([f"m{k}_{l} = {xs[k]}" for k in range(A)])
        body += declare(apply(at, [f"m{k}_{l}" for k in range(A)], f"q{l}_"))
    for a in range(M):
        body += declare(apply(at, [f"q{l}_{a}" for l in range(A)], f"y{a}_"))
        body += [f"S((out) + {a} * (rs) + {b} * (cs), y{a}_{b} + (bv));" for b in range(M)]
    out.append("/* Y = A^T M A + bias for one tile: M(8k + l) at in + (8k + l)*is, Y(a, b) to\n"
               " * out + a*rs + b*cs. q{l}_{a} is (A^T M)(a, l). */")
    out.append(macro("WG45_OUTPUT_TILE", ["T", "L", "S", "in", "is", "bv", "out", "rs", "cs"],
                     body))

    # Z = A dY A^T: columns first (p = A dY, 8 x 4), then rows.
    body = []
    for b in range(M):
        body += declare([f"g{a}_{b} = L((in) + {a} * (rs) + {b} * (cs))" for a in range(M)])
        body += declare(apply(a_, [f"g{a}_{b}" for a in range(M)], f"p{b}_"))
    for i in range(A):
        body += declare(apply(a_, [f"p{b}_{i}" for b in range(M)], f"z{i}_"))
        body += [f"S((out) + {A * i + j} * (os), z{i}_{j});" for j in range(A)]
    out.append("/* Z = A dY A^T for one tile: dY(a, b) at in + a*rs + b*cs, Z(8i + j) to\n"
               " * out + (8i + j)*os. p{b}_{i} is (A dY)(i, b). */")
    out.append(macro("WG45_GRADIENT_TILE", ["T", "L", "S", "in", "rs", "cs", "out", "os"],
                     body))

    # dX += B dV B^T, the adjoint of the input transform: columns first (w = B dV), then
    # rows, each result added to what overlapping tiles put there before.
    b_ = transposed(bt)
    body = []
    for j in range(A):
        body += declare([f"e{i}_{j} = L((in) + {A * i + j} * (is))" for i in range(A)])
        body += declare(apply(b_, [f"e{i}_{j}" for i in range(A)], f"w{j}_"))
    for k in range(A):
        body += declare(apply(b_, [f"w{l}_{k}" for l in range(A)], f"x{k}_"))
        body += [f"S((out) + {k} * (rs) + {l} * (cs), L((out) + {k} * (rs) + {l} * (cs)) + x{k}_{l});"
                 for l in range(A)]
    out.append("/* dX += B dV B^T for one tile: dV(8i + j) at in + (8i + j)*is, dX(k, l) at\n"
               " * out + k*rs + l*cs. w{j}_{k} is (B dV)(k, j). */")
    out.append(macro("WG45_INPUT_GRADIENT_TILE", ["T", "L", "S", "in", "is", "out", "rs", "cs"],
                     body))

    out.append("/* G (8 x 5), for the filter transforms in Swift:\n"
               + "".join(" *   [" + ", ".join(str(v) for v in row) + "]\n" for row in g)
               + " */")
    print("\n\n".join(out))


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--matrices":
        at, g, bt = matrices()
        for name, mat in (("AT", at), ("G", g), ("BT", bt)):
            print(name, [[str(v) for v in row] for row in mat])
    else:
        main()
