//! Progress of long command-line work (a national run, a big import), shown on a terminal
//! as one line rewritten in place, and not at all when standard error is not a terminal
//! (scripts, logs, CI). The work reports into a shared [`Progress`]; the display polls it.

use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Where the work stands: a stage, and for counted stages how far along it is.
#[derive(Debug, Default)]
pub struct Progress {
    stage: Mutex<String>,
    done: AtomicU64,
    total: AtomicU64,
}

impl Progress {
    pub fn new() -> Arc<Progress> {
        Arc::new(Progress::default())
    }

    /// Starts a stage; `total` is 0 when it cannot be counted.
    pub fn stage(&self, name: impl Into<String>, total: u64) {
        if let Ok(mut stage) = self.stage.lock() {
            *stage = name.into();
        }
        self.done.store(0, Ordering::Relaxed);
        self.total.store(total, Ordering::Relaxed);
    }

    /// Counts `n` more units of the current stage (from any task).
    pub fn advance(&self, n: u64) {
        self.done.fetch_add(n, Ordering::Relaxed);
    }

    /// The line shown for it.
    pub fn line(&self, elapsed: Duration) -> String {
        let stage = self.stage.lock().map(|s| s.clone()).unwrap_or_default();
        let (done, total) = (
            self.done.load(Ordering::Relaxed),
            self.total.load(Ordering::Relaxed),
        );
        match done.saturating_mul(100).checked_div(total) {
            Some(percent) => format!(
                "{stage}: {done}/{total} ({percent}%) {:.1}s",
                elapsed.as_secs_f64()
            ),
            None => format!("{stage}… {:.1}s", elapsed.as_secs_f64()),
        }
    }
}

/// Shows a [`Progress`] on standard error while it lives, if that is a terminal.
#[derive(Debug)]
pub struct Display {
    task: Option<tokio::task::JoinHandle<()>>,
}

impl Display {
    /// Starts showing `progress` (every 200 ms) when standard error is a terminal.
    pub fn start(progress: &Arc<Progress>) -> Display {
        if !std::io::stderr().is_terminal() {
            return Display { task: None };
        }
        let progress = Arc::clone(progress);
        let started = Instant::now();
        let task = tokio::spawn(async move {
            loop {
                {
                    let line = progress.line(started.elapsed());
                    let mut err = std::io::stderr().lock();
                    let _ = write!(err, "\r\x1b[2K{line}");
                    let _ = err.flush();
                }
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        });
        Display { task: Some(task) }
    }
}

impl Display {
    /// Clears the progress line so a message printed now starts on a clean line (the
    /// next tick draws it again below).
    pub fn clear_line(&self) {
        if self.task.is_some() {
            let _ = write!(std::io::stderr(), "\r\x1b[2K");
        }
    }
}

impl Drop for Display {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
            let _ = write!(std::io::stderr(), "\r\x1b[2K");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_line_counts_the_current_stage() {
        let progress = Progress::new();
        progress.stage("writing debit files", 200);
        progress.advance(50);
        progress.advance(25);
        assert_eq!(
            progress.line(Duration::from_millis(1500)),
            "writing debit files: 75/200 (37%) 1.5s"
        );
        progress.stage("recording", 0);
        assert_eq!(progress.line(Duration::from_secs(2)), "recording… 2.0s");
    }
}
