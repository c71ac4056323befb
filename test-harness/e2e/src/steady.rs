//! A client that sends the same request again and again on its own thread until
//! stopped, keeping every answer in order, so a test can show that not one request
//! failed while it changed something underneath, such as the filter's config.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::{self, JoinHandle};

use crate::client::{Request, Response};
use crate::error::{HarnessError, Result};
use crate::poll;

/// The answers so far, in the order the requests were sent. An error is kept as
/// its message: the request failed outright (no connection, no response).
type Answers = Arc<Mutex<Vec<std::result::Result<Response, String>>>>;

/// A request loop on a thread of its own; stopped (and joined) when dropped.
#[derive(Debug)]
pub struct SteadyClient {
    stop: Arc<AtomicBool>,
    sent: Arc<AtomicUsize>,
    answers: Answers,
    thread: Option<JoinHandle<()>>,
}

impl SteadyClient {
    /// Starts sending `request` to `addr`, one after the other, as fast as answers
    /// come back.
    pub fn start(addr: SocketAddr, request: Request) -> Result<Self> {
        let stop = Arc::new(AtomicBool::new(false));
        let sent = Arc::new(AtomicUsize::new(0));
        let answers = Answers::default();
        let thread = {
            let (stop, sent, answers) =
                (Arc::clone(&stop), Arc::clone(&sent), Arc::clone(&answers));
            thread::Builder::new()
                .name("steady-client".to_owned())
                .spawn(move || {
                    while !stop.load(Ordering::SeqCst) {
                        let answer = request.send(addr).map_err(|e| e.to_string());
                        answers
                            .lock()
                            .unwrap_or_else(PoisonError::into_inner)
                            .push(answer);
                        sent.fetch_add(1, Ordering::SeqCst);
                    }
                })
                .map_err(|e| HarnessError::io("starting the steady client", e))?
        };
        Ok(Self {
            stop,
            sent,
            answers,
            thread: Some(thread),
        })
    }

    /// How many requests have been answered (or failed) so far.
    pub fn answered(&self) -> usize {
        self.sent.load(Ordering::SeqCst)
    }

    /// Waits until `more` requests beyond the ones answered now have been answered.
    pub fn wait_for_more(&self, more: usize) -> Result<()> {
        let target = self.answered() + more;
        poll::until(&format!("{target} answers to the steady client"), || {
            Ok((self.answered() >= target).then_some(()))
        })
    }

    /// Stops the loop and returns every answer, in order.
    pub fn stop(mut self) -> Vec<std::result::Result<Response, String>> {
        self.halt();
        std::mem::take(&mut *self.answers.lock().unwrap_or_else(PoisonError::into_inner))
    }

    fn halt(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(thread) = self.thread.take() {
            drop(thread.join());
        }
    }
}

impl Drop for SteadyClient {
    fn drop(&mut self) {
        self.halt();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ports::LOOPBACK;
    use crate::upstream::EchoApp;

    #[test]
    fn keeps_every_answer_in_order_until_stopped() {
        let app = EchoApp::start("eu", "eu-west-1", SocketAddr::new(LOOPBACK, 0)).unwrap();
        let client = SteadyClient::start(app.addr(), Request::get("/steady")).unwrap();
        client.wait_for_more(5).unwrap();
        let answers = client.stop();
        assert!(answers.len() >= 5, "{} answers", answers.len());
        for answer in answers {
            let response = answer.unwrap();
            assert_eq!(response.json().unwrap()["path"], "/steady");
        }
    }

    #[test]
    fn keeps_a_failed_request_as_its_message() {
        let addr = {
            let app = EchoApp::start("gone", "eu-west-1", SocketAddr::new(LOOPBACK, 0)).unwrap();
            app.addr()
        };
        let client = SteadyClient::start(addr, Request::get("/")).unwrap();
        client.wait_for_more(1).unwrap();
        let answers = client.stop();
        let first = answers.first().unwrap();
        assert!(
            first.as_ref().is_err_and(|e| e.contains("connecting")),
            "{first:?}"
        );
    }
}
