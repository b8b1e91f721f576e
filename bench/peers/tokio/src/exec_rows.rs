//! Executor rows: spawn_poll_free, self_wake_poll, cross_wake_busy/parked.
//! Timed here, inside the runtime, with the harness's fenced TSC pair (the
//! same instructions as bench/tsc.h); raw samples go to the caller's buffer
//! and the harness subtracts the timer's cost as for every case.
use std::future::Future;
use std::os::raw::c_char;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};

use crate::{with_busy_spinner, write_err};

static SINK: std::sync::atomic::AtomicU8 = std::sync::atomic::AtomicU8::new(0);

#[inline(always)]
fn tsc_begin() -> u64 {
    let (lo, hi): (u32, u32);
    // SAFETY: lfence; rdtsc only read the time-stamp counter.
    unsafe {
        std::arch::asm!("lfence", "rdtsc", out("eax") lo, out("edx") hi,
                        options(nostack, preserves_flags));
    }
    ((hi as u64) << 32) | lo as u64
}

#[inline(always)]
fn tsc_end() -> u64 {
    let (lo, hi): (u32, u32);
    // SAFETY: rdtscp; lfence only read the time-stamp counter (and TSC_AUX).
    unsafe {
        std::arch::asm!("rdtscp", "lfence", out("eax") lo, out("edx") hi, out("ecx") _,
                        options(nostack, preserves_flags));
    }
    ((hi as u64) << 32) | lo as u64
}

/// The current-thread runtime of every row (see the module doc for busy);
/// None with the reason in `err` if it cannot be built.
pub(crate) fn current_thread(
    busy: bool,
    err: *mut c_char,
    err_len: usize,
) -> Option<tokio::runtime::Runtime> {
    let mut b = tokio::runtime::Builder::new_current_thread();
    b.enable_io();
    if busy {
        b.event_interval(1).global_queue_interval(1);
    }
    match b.build() {
        Ok(rt) => Some(rt),
        Err(e) => {
            write_err(err, err_len, &format!("tokio runtime: {e}"));
            None
        }
    }
}

/// `warmup` untimed rounds, then `n` samples into `out`, each the time of
/// `ops` calls of `op` (awaited).
async fn sample<F, Fut>(out: &mut [u64], warmup: usize, ops: usize, mut op: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = ()>,
{
    for _ in 0..warmup {
        for _ in 0..ops {
            op().await;
        }
    }
    for slot in out.iter_mut() {
        let t0 = tsc_begin();
        for _ in 0..ops {
            op().await;
        }
        *slot = tsc_end() - t0;
    }
}

/// spawn_poll_free: `ops` tasks carrying `bytes` of state spawned with
/// tokio::spawn from a task, then their JoinHandles awaited (which runs
/// and frees them).
/// Writes `n` raw samples to `out`. 0, or -1 with the reason in `err`.
///
/// # Safety
/// `out` must be writable for `n` values; `err` as nxtokio_serve.
#[no_mangle]
pub unsafe extern "C" fn nxtokio_spawn_await(
    bytes: usize,
    ops: usize,
    n: usize,
    warmup: usize,
    out: *mut u64,
    err: *mut c_char,
    err_len: usize,
) -> i32 {
    let rt = match current_thread(false, err, err_len) {
        Some(rt) => rt,
        None => return -1,
    };
    // The sampling loop runs in a task of its own (as user code does), the
    // tasks it spawns are tokio::spawn'ed onto the same current-thread
    // scheduler; no allocation in the timed part but the tasks' own.
    let out_addr = out as usize;
    macro_rules! run {
        ($n:expr) => {{
            let payload = [0u8; $n];
            let sampler = async move {
                // SAFETY: the caller's buffer outlives block_on.
                let out = std::slice::from_raw_parts_mut(out_addr as *mut u64, n);
                let mut handles = Vec::with_capacity(ops);
                for i in 0..warmup + n {
                    let t0 = tsc_begin();
                    for _ in 0..ops {
                        let p = payload;
                        handles.push(tokio::spawn(async move {
                            // Read from the task's copy, so the state is really carried.
                            if let Some(last) = p.last() {
                                SINK.store(std::ptr::read_volatile(last),
                                           std::sync::atomic::Ordering::Relaxed);
                            }
                        }));
                    }
                    for h in handles.drain(..) {
                        let _ = h.await;
                    }
                    let t1 = tsc_end();
                    if i >= warmup {
                        out[i - warmup] = t1 - t0;
                    }
                }
            };
            let _ = rt.block_on(async move { tokio::spawn(sampler).await });
        }};
    }
    match bytes {
        0 => run!(0),
        64 => run!(64),
        256 => run!(256),
        1024 => run!(1024),
        _ => {
            write_err(err, err_len, "future_bytes must be 0, 64, 256 or 1024");
            return -1;
        }
    }
    0
}

/// Wakes its own task once (wake_by_ref) and returns Pending; Ready on the
/// next poll: nx_cx_wake + return pending, in tokio.
struct SelfWake(bool);

impl Future for SelfWake {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.0 {
            return Poll::Ready(());
        }
        self.0 = true;
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

/// self_wake_poll: one task that wakes itself and is polled again, `ops`
/// times per sample. Arguments as nxtokio_spawn_await.
///
/// # Safety
/// As nxtokio_spawn_await.
#[no_mangle]
pub unsafe extern "C" fn nxtokio_self_wake(
    ops: usize,
    n: usize,
    warmup: usize,
    out: *mut u64,
    err: *mut c_char,
    err_len: usize,
) -> i32 {
    let rt = match current_thread(false, err, err_len) {
        Some(rt) => rt,
        None => return -1,
    };
    let out = std::slice::from_raw_parts_mut(out, n);
    let local = tokio::task::LocalSet::new();
    // Inside a spawned task (not block_on's own future), as a user's task.
    local.block_on(&rt, async {
        let _ = tokio::task::spawn_local(async move {
            sample(out, warmup, ops, || SelfWake(false)).await;
        })
        .await;
    });
    0
}

/// The waking side's handle on the task of nxtokio_cross_wake_serve.
pub struct WakeSlot {
    waker: Mutex<Option<Waker>>,
}

/// The executor side's callbacks (bench/cross_wake.h's CrossWake).
pub type RespondFn = unsafe extern "C" fn(ctx: *mut std::ffi::c_void) -> i32;

struct Responder {
    slot: Arc<WakeSlot>,
    respond: RespondFn,
    ctx: *mut std::ffi::c_void,
}

impl Future for Responder {
    type Output = ();
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        {
            let mut w = self.slot.waker.lock().unwrap();
            if w.as_ref().map_or(true, |old| !old.will_wake(cx.waker())) {
                *w = Some(cx.waker().clone());
            }
        }
        // SAFETY: the harness keeps ctx alive while the runtime runs.
        if unsafe { (self.respond)(self.ctx) } != 0 {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }
}

/// A slot for a waker, shared by both sides (free with nxtokio_slot_free
/// after both are done).
#[no_mangle]
pub extern "C" fn nxtokio_slot_new() -> *const WakeSlot {
    Arc::into_raw(Arc::new(WakeSlot { waker: Mutex::new(None) }))
}

/// # Safety
/// `slot` from nxtokio_slot_new, freed once.
#[no_mangle]
pub unsafe extern "C" fn nxtokio_slot_free(slot: *const WakeSlot) {
    drop(Arc::from_raw(slot));
}

/// The waking side: a clone of the task's waker (NULL until the task has
/// been polled once), to wake with nxtokio_waker_wake and free with
/// nxtokio_waker_free.
///
/// # Safety
/// `slot` from nxtokio_slot_new.
#[no_mangle]
pub unsafe extern "C" fn nxtokio_slot_waker(slot: *const WakeSlot) -> *mut Waker {
    match (*slot).waker.lock().unwrap().as_ref() {
        Some(w) => Box::into_raw(Box::new(w.clone())),
        None => std::ptr::null_mut(),
    }
}

/// # Safety
/// `w` from nxtokio_slot_waker, not freed.
#[no_mangle]
pub unsafe extern "C" fn nxtokio_waker_wake(w: *const Waker) {
    (*w).wake_by_ref();
}

/// # Safety
/// `w` from nxtokio_slot_waker, freed once.
#[no_mangle]
pub unsafe extern "C" fn nxtokio_waker_free(w: *mut Waker) {
    drop(Box::from_raw(w));
}

/// The executor side of a cross-thread wake: a current-thread runtime
/// (busy: it never sleeps and takes remote wakes on every tick; parked: it
/// sleeps in epoll) runs one task that stores its waker in `slot` and calls
/// respond(ctx) at every poll, until respond returns non-zero.
///
/// # Safety
/// `slot` from nxtokio_slot_new; `respond` callable with `ctx` from this
/// thread while this runs; `err` as nxtokio_serve.
#[no_mangle]
pub unsafe extern "C" fn nxtokio_cross_wake_serve(
    busy: i32,
    slot: *const WakeSlot,
    respond: RespondFn,
    ctx: *mut std::ffi::c_void,
    err: *mut c_char,
    err_len: usize,
) -> i32 {
    let rt = match current_thread(busy != 0, err, err_len) {
        Some(rt) => rt,
        None => return -1,
    };
    Arc::increment_strong_count(slot);
    let slot = Arc::from_raw(slot);
    let local = tokio::task::LocalSet::new();
    local.block_on(
        &rt,
        with_busy_spinner(busy != 0, async move {
            let _ = tokio::task::spawn_local(Responder { slot, respond, ctx }).await;
        }),
    );
    0
}
