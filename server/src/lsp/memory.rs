//! Keeping the server's resident memory close to what it holds.
//!
//! Documents are parsed on several threads, and glibc gives each thread its own
//! malloc arena; memory freed when a tree is dropped then stays in those arenas. With
//! 500 documents open that doubled the server's RSS (measured: 348 MB with the default
//! arenas, 231 MB with one). So the server limits itself to two arenas and, after
//! dropping trees or closing documents, hands free pages back to the system (rate
//! limited).

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// At most one trim per this interval: `malloc_trim` walks every arena.
const TRIM_INTERVAL: Duration = Duration::from_millis(500);

/// Call once at start, before threads are spawned.
pub fn limit_arenas() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only adjusts allocator parameters; called before other threads run.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 2);
    }
}

/// When memory was last returned.
static LAST_TRIM: Mutex<Option<Instant>> = Mutex::new(None);

/// Returns freed memory to the system, at most once per [`TRIM_INTERVAL`].
pub fn release_freed() {
    let mut last = LAST_TRIM.lock().unwrap_or_else(|e| e.into_inner());
    if last.is_some_and(|t| t.elapsed() < TRIM_INTERVAL) {
        return;
    }
    *last = Some(Instant::now());
    trim();
}

/// Returns freed memory [`TRIM_INTERVAL`] from now, once for any number of calls
/// meanwhile. Closing documents frees memory in many small steps (and analyses of
/// closed documents finish later still); a trim at the first close would miss the
/// rest, so the trim comes after the burst. Needs a tokio runtime.
pub fn release_freed_soon() {
    static PENDING: AtomicBool = AtomicBool::new(false);
    if PENDING.swap(true, Ordering::SeqCst) {
        return;
    }
    tokio::spawn(async {
        tokio::time::sleep(TRIM_INTERVAL).await;
        PENDING.store(false, Ordering::SeqCst);
        *LAST_TRIM.lock().unwrap_or_else(|e| e.into_inner()) = Some(Instant::now());
        trim();
    });
}

fn trim() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim is thread-safe and only releases free memory.
    unsafe {
        libc::malloc_trim(0);
    }
}
