//! Why a daemon test once saw "nothing" on its notify socket: `recv` with a
//! timeout fails with EINTR when the process is stopped and continued (a
//! paused CI machine, a frozen cgroup), and the old wait treated any error
//! as the end of the wait. This binary holds only this test, because it
//! stops its own process.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed test

mod support;

use std::os::unix::net::UnixDatagram;
use std::process::Command;
use std::time::{Duration, Instant};
use support::notify::NotifySocket;
use support::simhost::TempDir;

#[test]
fn waiting_for_a_notification_survives_a_stop_and_continue() {
    let dir = TempDir::new("notify-wait");
    let mut n = NotifySocket::bind(dir.path());
    // A helper stops this whole process for 200 ms while it waits in recv.
    let me = std::process::id().to_string();
    let mut helper = support::child::Guard::spawn(Command::new("bash").args([
        "-c",
        "sleep 0.3; kill -STOP \"$1\"; sleep 0.2; kill -CONT \"$1\"",
        "stopper",
        &me,
    ]));
    // The datagram comes well after the stop.
    let path = n.path().to_path_buf();
    let sender = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(1500));
        UnixDatagram::unbound().unwrap().send_to(b"READY=1", &path).unwrap();
    });
    let started = Instant::now();
    assert!(n.wait_for("READY=1", Duration::from_secs(20)), "gave up after {:?}: {:?}", started.elapsed(), n.seen);
    assert!(started.elapsed() >= Duration::from_millis(1400));
    sender.join().unwrap();
    assert!(helper.wait_within(Duration::from_secs(10), "stopper").success());

    // And the failure itself: a plain recv with a timeout is interrupted.
    let sock = UnixDatagram::bind(dir.path().join("raw.sock")).unwrap();
    sock.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    let mut helper = support::child::Guard::spawn(Command::new("bash").args([
        "-c",
        "sleep 0.3; kill -STOP \"$1\"; sleep 0.2; kill -CONT \"$1\"",
        "stopper",
        &me,
    ]));
    let started = Instant::now();
    let e = sock.recv(&mut [0u8; 64]).unwrap_err();
    assert_eq!(e.kind(), std::io::ErrorKind::Interrupted, "{e}");
    assert!(started.elapsed() < Duration::from_secs(10));
    helper.wait_within(Duration::from_secs(10), "stopper");
}
