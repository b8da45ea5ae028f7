/* A hand-written Promela model of specs/examples/scalable.mnt, for SPIN's pan: the
 * outside reference of tests/bench/spin_scalable.py. By hand:
 *
 *     spin -DN=6 -a scalable.pml && gcc -O2 -DSAFETY -DNOREDUCE -o pan pan.c && ./pan -m200000
 *
 * N is the spec's param, 2..10: mounts m1..mN are indexes 0..N-1, the root m1 is 0.
 *
 * The spec transcribed, variable for variable and action for action, so that pan's
 * "states, stored" is explore's distinct count (N = 5, 6, 7: 7857, 66825, 578097; in
 * closed form 9^(N-1) + 6^(N-1)), and its "transitions" is explore's generated count:
 * - The spec's four variables are four global arrays, and nothing else varies: a state
 *   of the spec is exactly their contents (parent's `none` is NONE; RDONLY, the one flag,
 *   is a bit).
 * - One process per mount (`active [N]`, _pid is m); each binding action(m) is one d_step
 *   branch of m's loop, guarded by the spec's `when`. A d_step is one pan transition and
 *   stores no intermediate state, so a spec transition is exactly one pan transition.
 *   Every process is always at the top of its `do`: its program counter is the same in
 *   every state and multiplies nothing.
 * - Nothing runs before the loops: the declarations are the spec's `init`, so pan's
 *   initial state is explore's, and both count it among the distinct states.
 * - The invariants are asserted at the end of every d_step, on the state the action made
 *   (an assert is no state: the counts are unchanged). pan fires every enabled transition
 *   of every stored state, even into a state already stored, so every state with an
 *   incoming transition is checked; the initial state has one (umount of the only mounted
 *   submount), so all are. A never claim `do :: assert(INVARIANTS) od` gives the same
 *   counts and speed, but doubles pan's search depth and so the DFS stack it must size.
 *
 * Partial-order reduction off (-DNOREDUCE): pan then fires every interleaving, as explore
 * does. With it on, the counts are the same at N = 5 and 6 (every action reads or writes
 * shared arrays, so pan finds nothing to reduce), but only by that accident.
 */

#ifndef N
#define N 5
#endif
#if N < 2 || N > 10
#error "N is 2..10: a root and a submount at least; the unrolling below stops at 10"
#endif

#define ROOT      0
#define NONE      255  /* parent[m] == none: not attached */

#define FREE      0
#define MOUNTED   1
#define DETACHED  2

/* init: phase = {m: (if m == root then MOUNTED else FREE)}. Promela fills an array from
 * a list of exactly N values; the list is MOUNTED then N - 1 FREEs, built by pasting N. */
#define FREES2  FREE
#define FREES3  FREES2, FREE
#define FREES4  FREES3, FREE
#define FREES5  FREES4, FREE
#define FREES6  FREES5, FREE
#define FREES7  FREES6, FREE
#define FREES8  FREES7, FREE
#define FREES9  FREES8, FREE
#define FREES10 FREES9, FREE
#define PASTE(a, b)  a ## b
#define XPASTE(a, b) PASTE(a, b)

byte phase[N] = { MOUNTED, XPASTE(FREES, N) };
byte parent[N] = NONE;
byte refs[N];               /* 0..2: get's guard keeps it there */
bit  rdonly[N];             /* RDONLY in flags[m] */

/* forall m in Mount: P(m), unrolled: AND(P) is P(0) && ... && P(N - 1), ALL(S) runs the
 * statement S(0); ... S(N - 1). Unrolled, they need no loop variable, which would be
 * state (or hidden, which rules out pan's -DBFS), and they cost no loop at run time. */
#define AND2(P)  P(0) && P(1)
#define AND3(P)  AND2(P) && P(2)
#define AND4(P)  AND3(P) && P(3)
#define AND5(P)  AND4(P) && P(4)
#define AND6(P)  AND5(P) && P(5)
#define AND7(P)  AND6(P) && P(6)
#define AND8(P)  AND7(P) && P(7)
#define AND9(P)  AND8(P) && P(8)
#define AND10(P) AND9(P) && P(9)
#define AND(P)   (XPASTE(AND, N)(P))
#define ALL2(S)  S(0); S(1)
#define ALL3(S)  ALL2(S); S(2)
#define ALL4(S)  ALL3(S); S(3)
#define ALL5(S)  ALL4(S); S(4)
#define ALL6(S)  ALL5(S); S(5)
#define ALL7(S)  ALL6(S); S(6)
#define ALL8(S)  ALL7(S); S(7)
#define ALL9(S)  ALL8(S); S(8)
#define ALL10(S) ALL9(S); S(9)
#define ALL(S)   XPASTE(ALL, N)(S)

/* The spec's invariants, each on one mount m, and their conjunction. */
#define ROOT_STAYS        (phase[ROOT] == MOUNTED && parent[ROOT] == NONE && refs[ROOT] == 0)
#define TREE_SHAPE(m)     ((m != ROOT && phase[m] == MOUNTED) == (parent[m] == ROOT))
#define RO_PROPAGATES(m)  (!rdonly[ROOT] || phase[m] != MOUNTED || rdonly[m])
#define DETACHED_BUSY(m)  (phase[m] != DETACHED || refs[m] > 0)
#define FREE_IS_CLEAN(m)  (phase[m] != FREE || (refs[m] == 0 && parent[m] == NONE && !rdonly[m]))
#define INVARIANTS \
  (ROOT_STAYS && AND(TREE_SHAPE) && AND(RO_PROPAGATES) && AND(DETACHED_BUSY) && AND(FREE_IS_CLEAN))

/* remount_ro on the root, for each x: flags[x] gets RDONLY if x is mounted */
#define RO_IF_MOUNTED(x)  if :: phase[x] == MOUNTED -> rdonly[x] = 1 :: else fi

active [N] proctype mount_code() {
  do
  /* mount(m): attach the free filesystem under the root; it inherits the root's flags */
  :: d_step { phase[_pid] == FREE ->
       phase[_pid] = MOUNTED;
       parent[_pid] = ROOT;
       rdonly[_pid] = rdonly[ROOT];
       assert(INVARIANTS)
     }
  /* umount(m) of an idle submount: detach and free it at once */
  :: d_step { _pid != ROOT && phase[_pid] == MOUNTED && refs[_pid] == 0 ->
       phase[_pid] = FREE;
       parent[_pid] = NONE;
       rdonly[_pid] = 0;
       assert(INVARIANTS)
     }
  /* umount_lazy(m) of a busy submount: detach it now; the last put frees it */
  :: d_step { _pid != ROOT && phase[_pid] == MOUNTED && refs[_pid] > 0 ->
       phase[_pid] = DETACHED;
       parent[_pid] = NONE;
       rdonly[_pid] = 0;
       assert(INVARIANTS)
     }
  /* get(m) */
  :: d_step { _pid != ROOT && phase[_pid] == MOUNTED && refs[_pid] < 2 ->
       refs[_pid]++;
       assert(INVARIANTS)
     }
  /* put(m): the last reference on a detached mount frees it */
  :: d_step { refs[_pid] > 0 ->
       refs[_pid]--;
       if
       :: phase[_pid] == DETACHED && refs[_pid] == 0 -> phase[_pid] = FREE
       :: else
       fi;
       assert(INVARIANTS)
     }
  /* remount_ro(m): on the root it propagates to every mounted submount */
  :: d_step { phase[_pid] == MOUNTED && !rdonly[_pid] ->
       if
       :: _pid == ROOT ->
          ALL(RO_IF_MOUNTED)
       :: else -> rdonly[_pid] = 1
       fi;
       assert(INVARIANTS)
     }
  /* remount_rw(m): the root always can; a submount only under a writable root */
  :: d_step { phase[_pid] == MOUNTED && rdonly[_pid] && (_pid == ROOT || !rdonly[ROOT]) ->
       rdonly[_pid] = 0;
       assert(INVARIANTS)
     }
  od
}
