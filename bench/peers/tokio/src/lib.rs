//! The tokio peer's servers for the network cases (bench/net_echo.h): the
//! C++ harness (bench/tokio_cases.cpp) makes and binds the socket, pins the
//! thread, runs the shared client on the other core and records the
//! samples; this library only serves, on a current-thread runtime on the
//! calling thread, the way a tokio user would write it.
//!
//! busy:   a second task yields in a loop and `event_interval(1)` makes the
//!         scheduler poll the IO driver (epoll with timeout 0) on every
//!         tick, so the thread never sleeps (as NX_RUN_BUSY);
//!         `global_queue_interval(1)`: wakes from other threads are taken
//!         on every tick too
//! parked: the plain runtime, which sleeps in epoll when nothing is ready
//!
//! The executor rows (spawn, self-wake, cross-thread wake) are in exec_rows.rs.
use std::cell::Cell;
use std::future::Future;
use std::os::raw::c_char;
use std::os::unix::io::FromRawFd;
use std::rc::Rc;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

mod exec_rows;
use exec_rows::current_thread;

/// What every throughput sample sends before the 1-byte acknowledgement.
const BATCH_BYTES: usize = 16 * 64 * 1024;
const BUF_BYTES: usize = 64 * 1024;

fn write_err(buf: *mut c_char, len: usize, msg: &str) {
    if buf.is_null() || len == 0 {
        return;
    }
    let n = msg.len().min(len - 1);
    // SAFETY: the caller gives a writable buffer of `len` bytes.
    unsafe {
        std::ptr::copy_nonoverlapping(msg.as_ptr(), buf as *mut u8, n);
        *buf.add(n) = 0;
    }
}

async fn serve_tcp(listener: std::net::TcpListener, throughput: bool) -> std::io::Result<()> {
    let listener = tokio::net::TcpListener::from_std(listener)?;
    let (mut stream, _) = listener.accept().await?;
    drop(listener);
    stream.set_nodelay(true)?;
    let mut buf = vec![0u8; BUF_BYTES];
    let mut pending = 0usize;
    loop {
        let n = stream.read(&mut buf).await?;
        if n == 0 {
            return Ok(());
        }
        let out = if throughput {
            pending += n;
            let acks = pending / BATCH_BYTES;
            pending %= BATCH_BYTES;
            acks
        } else {
            n
        };
        if out > 0 {
            stream.write_all(&buf[..out]).await?;
        }
    }
}

async fn serve_udp(socket: std::net::UdpSocket) -> std::io::Result<()> {
    let socket = tokio::net::UdpSocket::from_std(socket)?;
    let mut buf = vec![0u8; BUF_BYTES];
    loop {
        let (n, from) = socket.recv_from(&mut buf).await?;
        if n == 0 {
            return Ok(()); // the client's end marker
        }
        socket.send_to(&buf[..n], from).await?;
    }
}

/// Runs `work` to its end; with `busy`, a second task beside it yields in
/// a loop until then, so the runtime (built by `current_thread` with
/// `event_interval(1)`) never sleeps. Must run inside a LocalSet.
async fn with_busy_spinner<F: Future>(busy: bool, work: F) -> F::Output {
    let done = Rc::new(Cell::new(false));
    let spinner = if busy {
        let done = done.clone();
        Some(tokio::task::spawn_local(async move {
            while !done.get() {
                tokio::task::yield_now().await;
            }
        }))
    } else {
        None
    };
    let r = work.await;
    done.set(true);
    if let Some(h) = spinner {
        let _ = h.await;
    }
    r
}

/// Serves one client on `fd` (a bound TCP listener or UDP socket, which
/// this takes over and closes) until it ends. Returns 0, or -1 with the
/// reason in `err` (NUL-terminated, at most `err_len` bytes).
///
/// # Safety
/// `fd` must be an open socket of the given kind, owned by nobody else;
/// `err` must be writable for `err_len` bytes (or NULL).
#[no_mangle]
pub unsafe extern "C" fn nxtokio_serve(
    fd: i32,
    udp: i32,
    throughput: i32,
    busy: i32,
    err: *mut c_char,
    err_len: usize,
) -> i32 {
    let rt = match current_thread(busy != 0, err, err_len) {
        Some(rt) => rt,
        None => return -1,
    };
    let result = rt.block_on(async move {
        let local = tokio::task::LocalSet::new();
        local
            .run_until(with_busy_spinner(busy != 0, async move {
                if udp != 0 {
                    let s = std::net::UdpSocket::from_raw_fd(fd);
                    match s.set_nonblocking(true) {
                        Ok(()) => serve_udp(s).await,
                        Err(e) => Err(e),
                    }
                } else {
                    let l = std::net::TcpListener::from_raw_fd(fd);
                    match l.set_nonblocking(true) {
                        Ok(()) => serve_tcp(l, throughput != 0).await,
                        Err(e) => Err(e),
                    }
                }
            }))
            .await
    });
    match result {
        Ok(()) => 0,
        Err(e) => {
            write_err(err, err_len, &format!("tokio server: {e}"));
            -1
        }
    }
}
