//! Frees superseded documents on a thread of their own. The last reference to a
//! document's previous tree and analysis goes when its new analysis is stored, and
//! freeing them (tens of thousands of syntax nodes and match records in a 100k-line
//! file) took about a millisecond between `didChange` and the diagnostics.

use std::sync::mpsc::{Sender, channel};
use std::sync::{Mutex, OnceLock};

type Garbage = Box<dyn Send>;

/// Drops `value` on the dropping thread, or here if that thread could not start.
pub fn drop_later<T: Send + 'static>(value: T) {
    static DROPPER: OnceLock<Option<Mutex<Sender<Garbage>>>> = OnceLock::new();
    let dropper = DROPPER.get_or_init(|| {
        let (tx, rx) = channel::<Garbage>();
        std::thread::Builder::new()
            .name("vigil-drop".into())
            .spawn(move || rx.into_iter().for_each(drop))
            .ok()
            .map(|_| Mutex::new(tx))
    });
    let value: Garbage = Box::new(value);
    // A failed send hands the value back, and it is dropped here.
    if let Some(tx) = dropper
        && let Ok(tx) = tx.lock()
    {
        let _ = tx.send(value);
    }
}
