//! A real SMTP server for tests: Python's aiosmtpd on loopback, storing what it receives
//! in a Maildir the test reads back. Without aiosmtpd a test using it is skipped (saying
//! why), except under CI.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::skip;

/// The test SMTP server: accepts everything except recipients containing `reject` (550,
/// permanent) and, the first two times, `tempfail` (451, transient). With `--stop-after N`
/// it stops taking mail after the Nth message (421 to the rest, never a stored message
/// without its 250) and exits: an outage in the middle of a batch.
const SMTP_SERVER: &str = r#"
import argparse, asyncio, json, mailbox, os
from aiosmtpd.smtp import SMTP

p = argparse.ArgumentParser()
p.add_argument('--port', type=int, default=0)
p.add_argument('--maildir', required=True)
p.add_argument('--stop-after', type=int, default=0)
a = p.parse_args()
box = mailbox.Maildir(a.maildir, create=True)
log = open(os.path.join(a.maildir, 'envelopes.jsonl'), 'a')
state = {'count': 0, 'closing': False, 'tempfails': 0}

class Handler:
    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if state['closing']:
            return '421 4.3.2 shutting down'
        if 'reject' in address:
            return '550 5.1.1 <%s>: mailbox unavailable' % address
        if 'tempfail' in address and state['tempfails'] < 2:
            state['tempfails'] += 1
            return '451 4.3.0 <%s>: try again later' % address
        envelope.rcpt_tos.append(address)
        return '250 OK'

    async def handle_DATA(self, server, session, envelope):
        if state['closing']:
            return '421 4.3.2 shutting down'
        key = box.add(envelope.original_content)
        log.write(json.dumps({'key': key, 'from': envelope.mail_from, 'to': envelope.rcpt_tos}) + '\n')
        log.flush()
        state['count'] += 1
        if a.stop_after and state['count'] >= a.stop_after:
            state['closing'] = True
            asyncio.get_running_loop().call_later(0.3, lambda: os._exit(0))
        return '250 Message accepted'

async def main():
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: SMTP(Handler(), hostname='smtp.test', enable_SMTPUTF8=True), '127.0.0.1', a.port)
    print(server.sockets[0].getsockname()[1], flush=True)
    await server.serve_forever()

asyncio.run(main())
"#;

/// A Python that has aiosmtpd (Debian's `python3-aiosmtpd` serves /usr/bin/python3, which
/// is not always the first `python3` on the PATH).
pub fn python_with_aiosmtpd() -> Option<String> {
    let mut candidates: Vec<String> = std::env::var("TAHSIL_TEST_PYTHON").into_iter().collect();
    candidates.extend(["python3".to_owned(), "/usr/bin/python3".to_owned()]);
    candidates.into_iter().find(|python| {
        Command::new(python)
            .args(["-c", "import aiosmtpd"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    })
}

pub struct SmtpServer {
    child: Child,
    port: u16,
    maildir: PathBuf,
    script: PathBuf,
    python: String,
}

impl SmtpServer {
    /// Starts the server on `port` (0: any free port), or `None` after saying why.
    pub fn start(dir: &Path, port: u16, stop_after: Option<usize>) -> Option<SmtpServer> {
        let Some(python) = python_with_aiosmtpd() else {
            skip(
                "no python3 with aiosmtpd for the SMTP tests (apt-get install python3-aiosmtpd, or set TAHSIL_TEST_PYTHON)",
            );
            return None;
        };
        let script = dir.join("smtp_server.py");
        std::fs::write(&script, SMTP_SERVER).unwrap();
        Some(Self::spawn(
            python,
            script,
            dir.join("maildir"),
            port,
            stop_after,
        ))
    }

    fn spawn(
        python: String,
        script: PathBuf,
        maildir: PathBuf,
        port: u16,
        stop_after: Option<usize>,
    ) -> SmtpServer {
        let mut command = Command::new(&python);
        command
            .arg(&script)
            .arg("--port")
            .arg(port.to_string())
            .arg("--maildir")
            .arg(&maildir)
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        if let Some(n) = stop_after {
            command.arg("--stop-after").arg(n.to_string());
        }
        let mut child = command.spawn().expect("start the SMTP server");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let port = line
            .trim()
            .parse()
            .expect("the SMTP server prints its port");
        SmtpServer {
            child,
            port,
            maildir,
            script,
            python,
        }
    }

    /// The same server again, on the same port and Maildir.
    pub fn restart(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            // The port may linger a moment after the old process is gone.
            let next = Self::spawn_checked(
                self.python.clone(),
                self.script.clone(),
                self.maildir.clone(),
                self.port,
            );
            match next {
                Some(server) => {
                    *self = server;
                    return;
                }
                None if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(100)),
                None => panic!("the SMTP server did not restart on port {}", self.port),
            }
        }
    }

    fn spawn_checked(
        python: String,
        script: PathBuf,
        maildir: PathBuf,
        port: u16,
    ) -> Option<SmtpServer> {
        let server = std::panic::catch_unwind(|| Self::spawn(python, script, maildir, port, None));
        server.ok()
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// Waits for the server to exit by itself (`--stop-after`).
    pub fn wait_for_exit(&mut self, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if self.child.try_wait().unwrap().is_some() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("the SMTP server did not stop after its quota");
    }

    /// Every message received, raw.
    pub fn messages(&self) -> Vec<Vec<u8>> {
        let mut files: Vec<PathBuf> = ["new", "cur"]
            .iter()
            .filter_map(|sub| std::fs::read_dir(self.maildir.join(sub)).ok())
            .flat_map(|entries| entries.flatten().map(|e| e.path()))
            .collect();
        files.sort();
        files.iter().map(|f| std::fs::read(f).unwrap()).collect()
    }

    /// The envelope recipients of every message, as the server saw them.
    pub fn envelope_recipients(&self) -> Vec<String> {
        std::fs::read_to_string(self.maildir.join("envelopes.jsonl"))
            .unwrap_or_default()
            .lines()
            .flat_map(|line| {
                let value: serde_json::Value = serde_json::from_str(line).unwrap();
                value["to"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|v| v.as_str().unwrap().to_owned())
                    .collect::<Vec<_>>()
            })
            .collect()
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
