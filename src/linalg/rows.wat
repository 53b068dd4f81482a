;; Dense float64 row kernels of the Ritz tracker and the subspace iteration (ritz-track.ts, eigh_top.ts) in
;; WebAssembly with 128-bit SIMD. Every result entry is the same float64 sum, in the same order, as the plain
;; JS loop it replaces; the vector lanes run different entries side by side, so the bits are the same.
;; - dots: G = X Y^T for row blocks X (nx, D) and Y (ny, D), given transposed (Xt (D, nx), Yt (D, ny), nx and
;;   ny multiples of 4) so that four columns of G are two adjacent pairs. Each entry is sum_i x_p[i] y_q[i],
;;   i ascending, from 0. With sym (X = Y) only the 4 x 4 blocks on and above the diagonal are written.
;; - axpy: y[i] = y[i] + f x[i], two entries per instruction.
;; - project: modified Gram-Schmidt of row i of x (rows of n) against rows 0 .. i - 1, twice: each dot product
;;   a sequential sum (as in JS), each update x_i[k] = x_i[k] - dot x_j[k] two entries per instruction.
;; - sumsq: sum_k x[k]^2, sequential.
;; Memory: the caller (rows.ts) places the operands from byte 0 and reads the results back. Built into
;; rows.wasm.ts by scripts/build-wasm.mjs (wabt); a test checks that the bytes there are this file's.
(module
  (memory (export "memory") 1)
  (func (export "dots") (param $xt i32) (param $nx i32) (param $yt i32) (param $ny i32) (param $D i32)
    (param $g i32) (param $sym i32)
    (local $p0 i32) (local $q0 i32) (local $i i32) (local $xp i32) (local $yp i32) (local $xs i32) (local $ys i32)
    (local $gp i32) (local $gs i32)
    (local $x0 v128) (local $x1 v128) (local $x2 v128) (local $x3 v128) (local $ya v128) (local $yb v128)
    (local $a0 v128) (local $a1 v128) (local $b0 v128) (local $b1 v128)
    (local $c0 v128) (local $c1 v128) (local $d0 v128) (local $d1 v128)
    ;; Byte strides of a row of Xt, Yt and G.
    (local.set $xs (i32.shl (local.get $nx) (i32.const 3)))
    (local.set $ys (i32.shl (local.get $ny) (i32.const 3)))
    (local.set $gs (local.get $ys))
    (local.set $p0 (i32.const 0))
    (block $pdone
      (loop $ploop
        (br_if $pdone (i32.ge_s (local.get $p0) (local.get $nx)))
        (local.set $q0 (select (local.get $p0) (i32.const 0) (local.get $sym)))
        (block $qdone
          (loop $qloop
            (br_if $qdone (i32.ge_s (local.get $q0) (local.get $ny)))
            (local.set $a0 (v128.const i64x2 0 0))
            (local.set $a1 (v128.const i64x2 0 0))
            (local.set $b0 (v128.const i64x2 0 0))
            (local.set $b1 (v128.const i64x2 0 0))
            (local.set $c0 (v128.const i64x2 0 0))
            (local.set $c1 (v128.const i64x2 0 0))
            (local.set $d0 (v128.const i64x2 0 0))
            (local.set $d1 (v128.const i64x2 0 0))
            (local.set $xp (i32.add (local.get $xt) (i32.shl (local.get $p0) (i32.const 3))))
            (local.set $yp (i32.add (local.get $yt) (i32.shl (local.get $q0) (i32.const 3))))
            (local.set $i (local.get $D))
            (block $idone
              (loop $iloop
                (br_if $idone (i32.eqz (local.get $i)))
                (local.set $x0 (f64x2.splat (f64.load (local.get $xp))))
                (local.set $x1 (f64x2.splat (f64.load offset=8 (local.get $xp))))
                (local.set $x2 (f64x2.splat (f64.load offset=16 (local.get $xp))))
                (local.set $x3 (f64x2.splat (f64.load offset=24 (local.get $xp))))
                (local.set $ya (v128.load (local.get $yp)))
                (local.set $yb (v128.load offset=16 (local.get $yp)))
                (local.set $a0 (f64x2.add (local.get $a0) (f64x2.mul (local.get $x0) (local.get $ya))))
                (local.set $a1 (f64x2.add (local.get $a1) (f64x2.mul (local.get $x0) (local.get $yb))))
                (local.set $b0 (f64x2.add (local.get $b0) (f64x2.mul (local.get $x1) (local.get $ya))))
                (local.set $b1 (f64x2.add (local.get $b1) (f64x2.mul (local.get $x1) (local.get $yb))))
                (local.set $c0 (f64x2.add (local.get $c0) (f64x2.mul (local.get $x2) (local.get $ya))))
                (local.set $c1 (f64x2.add (local.get $c1) (f64x2.mul (local.get $x2) (local.get $yb))))
                (local.set $d0 (f64x2.add (local.get $d0) (f64x2.mul (local.get $x3) (local.get $ya))))
                (local.set $d1 (f64x2.add (local.get $d1) (f64x2.mul (local.get $x3) (local.get $yb))))
                (local.set $xp (i32.add (local.get $xp) (local.get $xs)))
                (local.set $yp (i32.add (local.get $yp) (local.get $ys)))
                (local.set $i (i32.sub (local.get $i) (i32.const 1)))
                (br $iloop)))
            ;; G[p0 + r, q0 .. q0 + 4].
            (local.set $gp (i32.add (local.get $g)
              (i32.shl (i32.add (i32.mul (local.get $p0) (local.get $ny)) (local.get $q0)) (i32.const 3))))
            (v128.store (local.get $gp) (local.get $a0))
            (v128.store offset=16 (local.get $gp) (local.get $a1))
            (local.set $gp (i32.add (local.get $gp) (local.get $gs)))
            (v128.store (local.get $gp) (local.get $b0))
            (v128.store offset=16 (local.get $gp) (local.get $b1))
            (local.set $gp (i32.add (local.get $gp) (local.get $gs)))
            (v128.store (local.get $gp) (local.get $c0))
            (v128.store offset=16 (local.get $gp) (local.get $c1))
            (local.set $gp (i32.add (local.get $gp) (local.get $gs)))
            (v128.store (local.get $gp) (local.get $d0))
            (v128.store offset=16 (local.get $gp) (local.get $d1))
            (local.set $q0 (i32.add (local.get $q0) (i32.const 4)))
            (br $qloop)))
        (local.set $p0 (i32.add (local.get $p0) (i32.const 4)))
        (br $ploop))))
  (func (export "axpy") (param $y i32) (param $x i32) (param $f f64) (param $len i32)
    (local $fv v128) (local $end i32)
    (local.set $fv (f64x2.splat (local.get $f)))
    ;; Pairs, then the odd last entry.
    (local.set $end (i32.add (local.get $y) (i32.shl (i32.and (local.get $len) (i32.const -2)) (i32.const 3))))
    (block $done
      (loop $pairs
        (br_if $done (i32.ge_u (local.get $y) (local.get $end)))
        (v128.store (local.get $y)
          (f64x2.add (v128.load (local.get $y)) (f64x2.mul (local.get $fv) (v128.load (local.get $x)))))
        (local.set $y (i32.add (local.get $y) (i32.const 16)))
        (local.set $x (i32.add (local.get $x) (i32.const 16)))
        (br $pairs)))
    (if (i32.and (local.get $len) (i32.const 1))
      (then
        (f64.store (local.get $y)
          (f64.add (f64.load (local.get $y)) (f64.mul (local.get $f) (f64.load (local.get $x))))))))

  (func $dot (param $x i32) (param $y i32) (param $len i32) (result f64)
    (local $s f64)
    (block $done
      (loop $each
        (br_if $done (i32.eqz (local.get $len)))
        (local.set $s (f64.add (local.get $s) (f64.mul (f64.load (local.get $x)) (f64.load (local.get $y)))))
        (local.set $x (i32.add (local.get $x) (i32.const 8)))
        (local.set $y (i32.add (local.get $y) (i32.const 8)))
        (local.set $len (i32.sub (local.get $len) (i32.const 1)))
        (br $each)))
    (local.get $s))
  (func (export "sumsq") (param $x i32) (param $len i32) (result f64)
    (call $dot (local.get $x) (local.get $x) (local.get $len)))
  (func (export "project") (param $x i32) (param $i i32) (param $n i32)
    (local $pass i32) (local $j i32) (local $xi i32) (local $xj i32) (local $rb i32) (local $end i32)
    (local $p i32) (local $q i32) (local $dv v128) (local $dot f64)
    (local.set $rb (i32.shl (local.get $n) (i32.const 3)))
    (local.set $xi (i32.add (local.get $x) (i32.mul (local.get $i) (local.get $rb))))
    (local.set $pass (i32.const 0))
    (block $passes
      (loop $passloop
        (br_if $passes (i32.ge_u (local.get $pass) (i32.const 2)))
        (local.set $j (i32.const 0))
        (block $rows
          (loop $rowloop
            (br_if $rows (i32.ge_u (local.get $j) (local.get $i)))
            (local.set $xj (i32.add (local.get $x) (i32.mul (local.get $j) (local.get $rb))))
            (local.set $dot (call $dot (local.get $xj) (local.get $xi) (local.get $n)))
            (local.set $dv (f64x2.splat (local.get $dot)))
            (local.set $p (local.get $xi))
            (local.set $q (local.get $xj))
            (local.set $end (i32.add (local.get $xi) (i32.shl (i32.and (local.get $n) (i32.const -2)) (i32.const 3))))
            (block $done
              (loop $pairs
                (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
                (v128.store (local.get $p)
                  (f64x2.sub (v128.load (local.get $p)) (f64x2.mul (local.get $dv) (v128.load (local.get $q)))))
                (local.set $p (i32.add (local.get $p) (i32.const 16)))
                (local.set $q (i32.add (local.get $q) (i32.const 16)))
                (br $pairs)))
            (if (i32.and (local.get $n) (i32.const 1))
              (then
                (f64.store (local.get $p)
                  (f64.sub (f64.load (local.get $p)) (f64.mul (local.get $dot) (f64.load (local.get $q)))))))
            (local.set $j (i32.add (local.get $j) (i32.const 1)))
            (br $rowloop)))
        (local.set $pass (i32.add (local.get $pass) (i32.const 1)))
        (br $passloop))))
)
