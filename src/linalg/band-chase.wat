;; The bulge chase of bandToTridiagonal (band.ts) in WebAssembly with 128-bit SIMD: the same Givens
;; rotations, with the same float64 operations in the same order, so the same bits; only the two loops
;; that apply a rotation run two entries per instruction (f64x2).
;; - Rows p and q left of the 2 x 2 block: the pair (A[p, c], A[q, c]) of each column c is adjacent in
;;   the working band, so one load holds it: [ap, aq] -> [c ap + s aq, c aq + (-s) ap] with one shuffle.
;; - Columns p and q below the block: two rows at a time, [ap0 ap1] and [aq0 aq1] in two loads.
;; Memory: the working band w (float64, n (kd + 2) entries, column c at w[c (kd + 1) ...]) from byte 0,
;; written by the caller (band.ts, bandChase) and read back by it. Built into band-chase.wasm.ts by
;; scripts/build-wasm.mjs (wabt); a test checks that the bytes there are this file's.
(module
  (memory (export "memory") 1)
  (func (export "chase") (param $n i32) (param $kd i32)
    (local $L i32) (local $Lb i32) (local $j i32) (local $r i32) (local $col i32) (local $q i32) (local $p i32)
    (local $x f64) (local $y f64) (local $h f64) (local $c f64) (local $s f64) (local $cs f64)
    (local $app f64) (local $aqp f64) (local $aqq f64) (local $ap f64) (local $aq f64)
    (local $ip i32) (local $end i32) (local $top i32) (local $pp i32) (local $qp i32) (local $qq i32)
    (local $cv v128) (local $sv v128) (local $snv v128) (local $va v128) (local $vb v128)
    (local.set $L (i32.add (local.get $kd) (i32.const 1)))
    ;; Byte distance between two columns.
    (local.set $Lb (i32.shl (local.get $L) (i32.const 3)))
    (if (i32.lt_s (local.get $kd) (i32.const 2)) (then (return)))
    (local.set $j (i32.const 0))
    (block $jdone
      (loop $jloop
        (br_if $jdone (i32.ge_s (i32.add (local.get $j) (i32.const 2)) (local.get $n)))
        ;; r = min(kd, n - 1 - j) down to 2.
        (local.set $r (i32.sub (i32.sub (local.get $n) (i32.const 1)) (local.get $j)))
        (if (i32.gt_s (local.get $r) (local.get $kd)) (then (local.set $r (local.get $kd))))
        (block $rdone
          (loop $rloop
            (br_if $rdone (i32.lt_s (local.get $r) (i32.const 2)))
            (local.set $col (local.get $j))
            (local.set $q (i32.add (local.get $j) (local.get $r)))
            (block $chased
              (loop $chase
                (local.set $p (i32.sub (local.get $q) (i32.const 1)))
                ;; x = A[p, col], y = A[q, col] (adjacent).
                (local.set $ip (i32.shl (i32.add (i32.mul (local.get $col) (local.get $L)) (local.get $p)) (i32.const 3)))
                (local.set $x (f64.load (local.get $ip)))
                (local.set $y (f64.load offset=8 (local.get $ip)))
                (br_if $chased (f64.eq (local.get $y) (f64.const 0)))
                (local.set $h (f64.sqrt (f64.add (f64.mul (local.get $x) (local.get $x)) (f64.mul (local.get $y) (local.get $y)))))
                (local.set $c (f64.div (local.get $x) (local.get $h)))
                (local.set $s (f64.div (local.get $y) (local.get $h)))
                (f64.store (local.get $ip) (local.get $h))
                (f64.store offset=8 (local.get $ip) (f64.const 0))
                (local.set $cv (f64x2.splat (local.get $c)))
                (local.set $sv (f64x2.splat (local.get $s)))
                ;; [s, -s]: lane 1 of the left rotation adds (-s) ap, which is c aq - s ap exactly.
                (local.set $snv (f64x2.replace_lane 1 (local.get $sv) (f64.neg (local.get $s))))
                ;; Rows p and q left of the block: columns col + 1 .. p - 1.
                (local.set $ip (i32.add (local.get $ip) (local.get $Lb)))
                (local.set $end (i32.shl (i32.add (i32.mul (local.get $p) (local.get $L)) (local.get $p)) (i32.const 3)))
                (block $ldone
                  (loop $left
                    (br_if $ldone (i32.ge_u (local.get $ip) (local.get $end)))
                    (local.set $va (v128.load (local.get $ip)))
                    (v128.store (local.get $ip)
                      (f64x2.add
                        (f64x2.mul (local.get $cv) (local.get $va))
                        (f64x2.mul (local.get $snv) (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $va) (local.get $va)))))
                    (local.set $ip (i32.add (local.get $ip) (local.get $Lb)))
                    (br $left)))
                ;; The 2 x 2 block, as band.ts writes it.
                (local.set $pp (local.get $end))
                (local.set $qp (i32.add (local.get $end) (i32.const 8)))
                (local.set $qq (i32.shl (i32.add (i32.mul (local.get $q) (local.get $L)) (local.get $q)) (i32.const 3)))
                (local.set $app (f64.load (local.get $pp)))
                (local.set $aqp (f64.load (local.get $qp)))
                (local.set $aqq (f64.load (local.get $qq)))
                (local.set $cs (f64.mul (local.get $c) (local.get $s)))
                ;; c c app + 2 cs aqp + s s aqq
                (f64.store (local.get $pp)
                  (f64.add
                    (f64.add
                      (f64.mul (f64.mul (local.get $c) (local.get $c)) (local.get $app))
                      (f64.mul (f64.mul (f64.const 2) (local.get $cs)) (local.get $aqp)))
                    (f64.mul (f64.mul (local.get $s) (local.get $s)) (local.get $aqq))))
                ;; s s app - 2 cs aqp + c c aqq
                (f64.store (local.get $qq)
                  (f64.add
                    (f64.sub
                      (f64.mul (f64.mul (local.get $s) (local.get $s)) (local.get $app))
                      (f64.mul (f64.mul (f64.const 2) (local.get $cs)) (local.get $aqp)))
                    (f64.mul (f64.mul (local.get $c) (local.get $c)) (local.get $aqq))))
                ;; cs (aqq - app) + (c c - s s) aqp
                (f64.store (local.get $qp)
                  (f64.add
                    (f64.mul (local.get $cs) (f64.sub (local.get $aqq) (local.get $app)))
                    (f64.mul
                      (f64.sub (f64.mul (local.get $c) (local.get $c)) (f64.mul (local.get $s) (local.get $s)))
                      (local.get $aqp))))
                ;; Columns p and q below the block: rows q + 1 .. min(n - 1, q + kd), A[., q] a column later.
                (local.set $top (i32.add (local.get $q) (local.get $kd)))
                (if (i32.gt_s (local.get $top) (i32.sub (local.get $n) (i32.const 1)))
                  (then (local.set $top (i32.sub (local.get $n) (i32.const 1)))))
                (local.set $ip (i32.add (local.get $qp) (i32.const 8)))
                (local.set $end (i32.shl (i32.add (i32.mul (local.get $p) (local.get $L)) (local.get $top)) (i32.const 3)))
                (block $bdone
                  (loop $below
                    ;; Two rows while ip + 1 <= end.
                    (br_if $bdone (i32.ge_s (local.get $ip) (local.get $end)))
                    (local.set $va (v128.load (local.get $ip)))
                    (local.set $vb (v128.load (i32.add (local.get $ip) (local.get $Lb))))
                    (v128.store (local.get $ip)
                      (f64x2.add (f64x2.mul (local.get $cv) (local.get $va)) (f64x2.mul (local.get $sv) (local.get $vb))))
                    (v128.store (i32.add (local.get $ip) (local.get $Lb))
                      (f64x2.sub (f64x2.mul (local.get $cv) (local.get $vb)) (f64x2.mul (local.get $sv) (local.get $va))))
                    (local.set $ip (i32.add (local.get $ip) (i32.const 16)))
                    (br $below)))
                ;; The last row when the count is odd.
                (if (i32.eq (local.get $ip) (local.get $end))
                  (then
                    (local.set $ap (f64.load (local.get $ip)))
                    (local.set $aq (f64.load (i32.add (local.get $ip) (local.get $Lb))))
                    (f64.store (local.get $ip)
                      (f64.add (f64.mul (local.get $c) (local.get $ap)) (f64.mul (local.get $s) (local.get $aq))))
                    (f64.store (i32.add (local.get $ip) (local.get $Lb))
                      (f64.sub (f64.mul (local.get $c) (local.get $aq)) (f64.mul (local.get $s) (local.get $ap))))))
                (br_if $chased (i32.ge_s (i32.add (local.get $q) (local.get $kd)) (local.get $n)))
                (local.set $col (local.get $p))
                (local.set $q (i32.add (local.get $q) (local.get $kd)))
                (br $chase)))
            (local.set $r (i32.sub (local.get $r) (i32.const 1)))
            (br $rloop)))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $jloop)))))
