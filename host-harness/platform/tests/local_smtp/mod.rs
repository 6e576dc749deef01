//! A small but real SMTP server for the tests, on loopback (127.0.0.1, a free port).
//!
//! It speaks RFC 5321 as far as a submission client needs: the greeting, `EHLO`/`HELO`,
//! `AUTH PLAIN` (when credentials are required), `MAIL FROM`, `RCPT TO`, `DATA` with
//! dot-unstuffing, `RSET`, `NOOP` and `QUIT`, with `503` for commands out of sequence and `500`
//! for unknown ones. Every accepted transaction is kept as a [`Received`] envelope. Replies can
//! be changed per step (or per recipient) to simulate temporary (4xx) and permanent (5xx)
//! refusals, a dropped connection or a server that never answers.
//!
//! One thread accepts connections and one thread serves each; dropping the [`LocalSmtp`] stops
//! accepting. Every read has a timeout, so no thread outlives a test by more than a few seconds.

#![allow(dead_code)] // Each test binary uses a different part.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::Duration;

use order_messages_platform::SmtpConfig;

/// How long the server waits for a client's next line before hanging up.
const READ_TIMEOUT: Duration = Duration::from_secs(10);
/// Longest command line accepted (RFC 5321 says 512 octets; be lenient).
const MAX_LINE: usize = 4096;

/// A step of the SMTP dialogue whose reply can be changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Step {
    /// The `220` greeting on connect.
    Greeting,
    /// The reply to `EHLO` / `HELO`.
    Hello,
    /// The reply to `MAIL FROM`.
    MailFrom,
    /// The reply to `RCPT TO` (for every recipient without a reply of its own).
    RcptTo,
    /// The reply to `DATA` (normally `354`).
    Data,
    /// The reply after the message's final dot (normally `250`): the server takes the message.
    EndOfData,
}

/// What the server does at a step.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reply {
    /// Answer with this code and text (a 2xx/3xx goes on as normal; 4xx/5xx refuses).
    Code(u16, String),
    /// Close the connection without answering.
    Drop,
    /// Say nothing and keep the connection open until the client gives up (or 10 s pass).
    Silence,
}

impl Reply {
    /// `Reply::Code(code, text)`.
    pub fn code(code: u16, text: &str) -> Self {
        Reply::Code(code, text.to_owned())
    }
}

/// One message the server accepted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Received {
    /// The `EHLO`/`HELO` name.
    pub hello: String,
    /// The user of a successful `AUTH`, if any.
    pub authenticated_as: Option<String>,
    /// The reverse path of `MAIL FROM:<…>`.
    pub mail_from: String,
    /// The forward paths of the accepted `RCPT TO:<…>`.
    pub rcpt_to: Vec<String>,
    /// The message, dot-unstuffed: every line before the terminating `.` line, with CRLFs.
    pub data: Vec<u8>,
}

#[derive(Default)]
struct State {
    received: Vec<Received>,
    replies: HashMap<Step, Reply>,
    /// Per recipient address, a reply to `RCPT TO` that wins over the step's.
    rcpt_replies: HashMap<String, Reply>,
    /// Required `AUTH PLAIN` credentials, if any.
    credentials: Option<(String, String)>,
    connections: usize,
    commands: Vec<String>,
}

struct Shared {
    state: Mutex<State>,
    stop: AtomicBool,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// The running server. Dropping it stops accepting connections.
pub struct LocalSmtp {
    addr: SocketAddr,
    shared: Arc<Shared>,
    acceptor: Option<JoinHandle<()>>,
}

impl LocalSmtp {
    /// Starts a server on 127.0.0.1 on a free port, answering normally.
    pub fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
        let addr = listener.local_addr().expect("the bound address");
        let shared = Arc::new(Shared {
            state: Mutex::new(State::default()),
            stop: AtomicBool::new(false),
        });
        let for_thread = shared.clone();
        let acceptor = std::thread::spawn(move || {
            for stream in listener.incoming() {
                if for_thread.stop.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                for_thread.lock().connections += 1;
                let shared = for_thread.clone();
                std::thread::spawn(move || {
                    let _ = Session::new(stream, shared).run();
                });
            }
        });
        Self {
            addr,
            shared,
            acceptor: Some(acceptor),
        }
    }

    /// The server's address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// A plain-text relay configuration for this server, with a short timeout.
    pub fn config(&self) -> SmtpConfig {
        SmtpConfig::new("127.0.0.1", self.addr.port()).with_timeout(Duration::from_secs(3))
    }

    /// Every message accepted so far, in order.
    pub fn received(&self) -> Vec<Received> {
        self.shared.lock().received.clone()
    }

    /// The messages accepted since the last call (or the start), removing them.
    pub fn take_received(&self) -> Vec<Received> {
        std::mem::take(&mut self.shared.lock().received)
    }

    /// Connections accepted so far.
    pub fn connections(&self) -> usize {
        self.shared.lock().connections
    }

    /// Every command line received so far (`AUTH` lines with their secret cut off).
    pub fn commands(&self) -> Vec<String> {
        self.shared.lock().commands.clone()
    }

    /// From now on, answer `step` with `reply`.
    pub fn reply_at(&self, step: Step, reply: Reply) {
        self.shared.lock().replies.insert(step, reply);
    }

    /// From now on, answer `RCPT TO:<address>` with `reply`.
    pub fn reply_to_rcpt(&self, address: &str, reply: Reply) {
        self.shared
            .lock()
            .rcpt_replies
            .insert(address.to_owned(), reply);
    }

    /// Answer everything normally again.
    pub fn answer_normally(&self) {
        let mut state = self.shared.lock();
        state.replies.clear();
        state.rcpt_replies.clear();
    }

    /// Offer `AUTH PLAIN` and refuse `MAIL FROM` (`530`) until a client authenticates with
    /// these credentials.
    pub fn require_auth(&self, user: &str, password: &str) {
        self.shared.lock().credentials = Some((user.to_owned(), password.to_owned()));
    }
}

impl Drop for LocalSmtp {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        // Wake the acceptor so it sees the flag.
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
        if let Some(acceptor) = self.acceptor.take() {
            let _ = acceptor.join();
        }
    }
}

/// A free loopback port with nothing listening on it (bound, then released).
pub fn dead_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
    listener.local_addr().expect("the bound address").port()
}

/// One client connection.
struct Session {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
    shared: Arc<Shared>,
    hello: Option<String>,
    authenticated_as: Option<String>,
    mail_from: Option<String>,
    rcpt_to: Vec<String>,
}

/// Why a session ended: the client left, or the server hung up on purpose.
enum End {
    Closed,
}

type Flow<T> = Result<T, End>;

impl Session {
    fn new(stream: TcpStream, shared: Arc<Shared>) -> Self {
        let _ = stream.set_read_timeout(Some(READ_TIMEOUT));
        let _ = stream.set_write_timeout(Some(READ_TIMEOUT));
        let writer = stream.try_clone().expect("clone the stream");
        Self {
            reader: BufReader::new(stream),
            writer,
            shared,
            hello: None,
            authenticated_as: None,
            mail_from: None,
            rcpt_to: Vec::new(),
        }
    }

    fn run(mut self) -> Flow<()> {
        self.answer(
            Step::Greeting,
            None,
            "220 localhost ESMTP test server ready",
        )?;
        loop {
            let line = self.read_line()?;
            let line = String::from_utf8_lossy(&line).trim_end().to_owned();
            let (verb, arg) = match line.split_once(' ') {
                Some((v, a)) => (v.to_ascii_uppercase(), a.trim().to_owned()),
                None => (line.to_ascii_uppercase(), String::new()),
            };
            let logged = if verb == "AUTH" {
                "AUTH …".to_owned()
            } else {
                line.clone()
            };
            self.shared.lock().commands.push(logged);
            match verb.as_str() {
                "EHLO" | "HELO" => self.hello(&verb, arg)?,
                "AUTH" => self.auth(&arg)?,
                "MAIL" => self.mail(&arg)?,
                "RCPT" => self.rcpt(&arg)?,
                "DATA" => self.data()?,
                "RSET" => {
                    self.reset();
                    self.write("250 2.0.0 OK")?;
                }
                "NOOP" => self.write("250 2.0.0 OK")?,
                "QUIT" => {
                    self.write("221 2.0.0 Bye")?;
                    return Err(End::Closed);
                }
                _ => self.write("500 5.5.2 Command not recognized")?,
            }
        }
    }

    fn reset(&mut self) {
        self.mail_from = None;
        self.rcpt_to.clear();
    }

    fn hello(&mut self, verb: &str, name: String) -> Flow<()> {
        if name.is_empty() {
            return self.write("501 5.5.4 A name is required");
        }
        self.reset();
        self.hello = Some(name);
        let auth = self.shared.lock().credentials.is_some();
        let normal = if verb == "EHLO" {
            let mut lines = vec!["250-localhost greets you", "250-8BITMIME", "250-PIPELINING"];
            if auth {
                lines.push("250-AUTH PLAIN");
            }
            lines.push("250 SIZE 10485760");
            lines.join("\r\n")
        } else {
            "250 localhost".to_owned()
        };
        self.answer(Step::Hello, None, &normal).map(drop)
    }

    fn auth(&mut self, arg: &str) -> Flow<()> {
        let Some(credentials) = self.shared.lock().credentials.clone() else {
            return self.write("503 5.5.1 AUTH not offered");
        };
        let (mechanism, initial) = match arg.split_once(' ') {
            Some((m, i)) => (m.to_ascii_uppercase(), Some(i.trim().to_owned())),
            None => (arg.to_ascii_uppercase(), None),
        };
        if mechanism != "PLAIN" {
            return self.write("504 5.5.4 Only PLAIN");
        }
        let response = match initial {
            Some(r) => r,
            None => {
                self.write("334 ")?;
                let line = self.read_line()?;
                String::from_utf8_lossy(&line).trim().to_owned()
            }
        };
        // authzid NUL authcid NUL password
        let decoded = base64_decode(&response).unwrap_or_default();
        let parts: Vec<&[u8]> = decoded.split(|&b| b == 0).collect();
        let ok = parts.len() == 3
            && parts[1] == credentials.0.as_bytes()
            && parts[2] == credentials.1.as_bytes();
        if ok {
            self.authenticated_as = Some(credentials.0);
            self.write("235 2.7.0 Authentication successful")
        } else {
            self.write("535 5.7.8 Authentication credentials invalid")
        }
    }

    fn mail(&mut self, arg: &str) -> Flow<()> {
        if self.hello.is_none() {
            return self.write("503 5.5.1 Say hello first");
        }
        if self.mail_from.is_some() {
            return self.write("503 5.5.1 Sender already given");
        }
        if self.shared.lock().credentials.is_some() && self.authenticated_as.is_none() {
            return self.write("530 5.7.0 Authentication required");
        }
        let Some(path) = path_after(arg, "FROM:") else {
            return self.write("501 5.5.4 Syntax: MAIL FROM:<address>");
        };
        if self.answer(Step::MailFrom, None, "250 2.1.0 Sender OK")? {
            self.mail_from = Some(path);
        }
        Ok(())
    }

    fn rcpt(&mut self, arg: &str) -> Flow<()> {
        if self.mail_from.is_none() {
            return self.write("503 5.5.1 Need MAIL first");
        }
        let Some(path) = path_after(arg, "TO:") else {
            return self.write("501 5.5.4 Syntax: RCPT TO:<address>");
        };
        if self.answer(Step::RcptTo, Some(&path), "250 2.1.5 Recipient OK")? {
            self.rcpt_to.push(path);
        }
        Ok(())
    }

    fn data(&mut self) -> Flow<()> {
        if self.rcpt_to.is_empty() {
            return self.write("503 5.5.1 Need RCPT first");
        }
        if !self.answer(Step::Data, None, "354 End data with <CR><LF>.<CR><LF>")? {
            return Ok(());
        }
        let mut data = Vec::new();
        loop {
            let line = self.read_line()?;
            if line == b".\r\n" {
                break;
            }
            // Dot-unstuffing (RFC 5321 4.5.2).
            let line = if line.starts_with(b".") {
                &line[1..]
            } else {
                &line[..]
            };
            data.extend_from_slice(line);
        }
        let queued = self.shared.lock().received.len() + 1;
        let accepted = self.answer(
            Step::EndOfData,
            None,
            &format!("250 2.0.0 OK queued as {queued}"),
        )?;
        if accepted {
            let received = Received {
                hello: self.hello.clone().unwrap_or_default(),
                authenticated_as: self.authenticated_as.clone(),
                mail_from: self.mail_from.clone().unwrap_or_default(),
                rcpt_to: self.rcpt_to.clone(),
                data,
            };
            self.shared.lock().received.push(received);
        }
        self.reset();
        Ok(())
    }

    /// Answers `step` with its configured reply, or `normal`. `Ok(true)` if the reply was
    /// positive (2xx/3xx), so the step takes effect.
    fn answer(&mut self, step: Step, rcpt: Option<&str>, normal: &str) -> Flow<bool> {
        let reply = {
            let state = self.shared.lock();
            rcpt.and_then(|r| state.rcpt_replies.get(r))
                .or_else(|| state.replies.get(&step))
                .cloned()
        };
        match reply {
            None => {
                self.write(normal)?;
                Ok(true)
            }
            Some(Reply::Code(code, text)) => {
                self.write(&format!("{code} {text}"))?;
                Ok(code < 400)
            }
            Some(Reply::Drop) => {
                let _ = self.writer.shutdown(Shutdown::Both);
                Err(End::Closed)
            }
            Some(Reply::Silence) => {
                // Wait for the client to give up (its read times out and it closes).
                let mut sink = Vec::new();
                let _ = self.reader.read_until(b'\n', &mut sink);
                let _ = self.writer.shutdown(Shutdown::Both);
                Err(End::Closed)
            }
        }
    }

    fn write(&mut self, reply: &str) -> Flow<()> {
        self.writer
            .write_all(format!("{reply}\r\n").as_bytes())
            .map_err(|_| End::Closed)
    }

    /// One line with its line ending; `Err` when the client is gone or the line is too long.
    fn read_line(&mut self) -> Flow<Vec<u8>> {
        let mut line = Vec::new();
        (&mut self.reader)
            .take(MAX_LINE as u64)
            .read_until(b'\n', &mut line)
            .map_err(|_| End::Closed)?;
        // Empty: the client left; no line ending: it left mid-line or the line is too long.
        if !line.ends_with(b"\n") {
            return Err(End::Closed);
        }
        Ok(line)
    }
}

/// The address in `FROM:<addr> params` / `TO:<addr> params` (case-insensitive keyword).
fn path_after(arg: &str, keyword: &str) -> Option<String> {
    let rest = arg.get(..keyword.len())?;
    if !rest.eq_ignore_ascii_case(keyword) {
        return None;
    }
    let rest = arg[keyword.len()..].trim_start();
    let inner = rest.strip_prefix('<')?;
    let (path, _params) = inner.split_once('>')?;
    Some(path.to_owned())
}

/// Decodes standard base64 (with or without padding).
fn base64_decode(text: &str) -> Option<Vec<u8>> {
    let value = |c: u8| -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        } as u32)
    };
    let bytes: Vec<u8> = text.bytes().filter(|&c| c != b'=').collect();
    let mut out = Vec::with_capacity(bytes.len() * 3 / 4);
    for chunk in bytes.chunks(4) {
        let mut acc = 0u32;
        for (i, &c) in chunk.iter().enumerate() {
            acc |= value(c)? << (18 - 6 * i);
        }
        let n = match chunk.len() {
            4 => 3,
            3 => 2,
            2 => 1,
            _ => return None,
        };
        out.extend_from_slice(&acc.to_be_bytes()[1..1 + n]);
    }
    Some(out)
}

#[test]
fn base64_decodes_auth_plain() {
    assert_eq!(
        base64_decode("AHVzZXIAcGFzcw==").unwrap(),
        b"\0user\0pass".to_vec()
    );
    assert_eq!(base64_decode("YQ").unwrap(), b"a".to_vec());
    assert!(base64_decode("!!").is_none());
}

#[test]
fn the_server_speaks_smtp_in_sequence_and_unstuffs_dots() {
    let server = LocalSmtp::start();
    let stream = TcpStream::connect(server.addr()).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut writer = stream;
    let mut reply = || {
        // The last line of a (possibly multi-line) reply: `250 …`, not `250-…`.
        loop {
            let mut line = String::new();
            reader.read_line(&mut line).unwrap();
            if line.as_bytes().get(3) != Some(&b'-') {
                return line[..3].to_owned();
            }
        }
    };
    let mut say = |text: &str| writer.write_all(text.as_bytes()).unwrap();
    assert_eq!(reply(), "220");
    say("MAIL FROM:<a@x.test>\r\n");
    assert_eq!(reply(), "503", "hello first");
    say("EHLO client.test\r\n");
    assert_eq!(reply(), "250");
    say("RCPT TO:<b@x.test>\r\n");
    assert_eq!(reply(), "503", "sender first");
    say("MAIL FROM:<a@x.test>\r\n");
    assert_eq!(reply(), "250");
    say("DATA\r\n");
    assert_eq!(reply(), "503", "recipient first");
    say("RCPT TO:<b@x.test>\r\n");
    assert_eq!(reply(), "250");
    say("RSET\r\n");
    assert_eq!(reply(), "250");
    say("RCPT TO:<b@x.test>\r\n");
    assert_eq!(reply(), "503", "RSET forgot the sender");
    say("MAIL FROM:<a@x.test> BODY=8BITMIME\r\n");
    assert_eq!(reply(), "250");
    say("RCPT TO:<b@x.test>\r\n");
    assert_eq!(reply(), "250");
    say("RCPT TO:<c@x.test>\r\n");
    assert_eq!(reply(), "250");
    say("DATA\r\n");
    assert_eq!(reply(), "354");
    say("Subject: hi\r\n\r\n..leading dot\r\n...\r\nend\r\n.\r\n");
    assert_eq!(reply(), "250");
    say("NOOP\r\n");
    assert_eq!(reply(), "250");
    say("WHAT\r\n");
    assert_eq!(reply(), "500");
    say("QUIT\r\n");
    assert_eq!(reply(), "221");
    let received = server.received();
    assert_eq!(received.len(), 1);
    assert_eq!(received[0].hello, "client.test");
    assert_eq!(received[0].mail_from, "a@x.test");
    assert_eq!(received[0].rcpt_to, ["b@x.test", "c@x.test"]);
    assert_eq!(
        received[0].data,
        b"Subject: hi\r\n\r\n.leading dot\r\n..\r\nend\r\n".to_vec()
    );
}
