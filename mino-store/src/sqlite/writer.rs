//! Group commit: one thread runs the store's writes, and every write that queued up while it
//! was busy runs in the next transaction, each inside its own savepoint.
//!
//! In WAL mode a commit appends every page its transaction changed to the log. When fifty
//! attempts finish at once, one commit per attempt writes the same hot pages of the jobs,
//! sessions and executions tables fifty times over, and hands each write to a blocking thread
//! and back. Sharing the transaction writes them once. A write that fails rolls back to its
//! savepoint and leaves the rest of its group alone, exactly as its own transaction would
//! have; callers hear back only once the group's commit is done, so no caller sees a write as
//! done that a crash could still undo (beyond what `synchronous = NORMAL` allows).

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::{Arc, Mutex, PoisonError};

use rusqlite::{Connection, Transaction, TransactionBehavior};
use tokio::sync::oneshot;
use tracing::{debug, error};

use super::error::map_sqlite;
use mino_core::{Error, ErrorKind, Result};

/// The most writes sharing one transaction: bounds how long the first of them waits for
/// its answer behind the others.
const MAX_GROUP: usize = 256;

/// One queued write: runs on the writer thread inside the group's transaction (or, when no
/// transaction could be opened, is handed the reason instead) and says whether it succeeded,
/// with how to answer its caller once the commit's fate is known.
type QueuedWrite = Box<dyn FnOnce(std::result::Result<&Transaction<'_>, Error>) -> Ran + Send>;

/// What a queued write left to do after it ran.
struct Ran {
    ok: bool,
    answer: Box<dyn FnOnce(Result<()>) + Send>,
}

/// The queue in front of the writer thread. Dropping it lets the thread finish what is queued
/// and end.
#[derive(Debug)]
pub(crate) struct WriteQueue {
    sender: Sender<QueuedWrite>,
}

impl WriteQueue {
    /// Starts the writer thread on `conn`. The thread locks `conn` for each group, so other
    /// users of the connection (bulk inserts, migrations) take turns with it.
    pub(crate) fn spawn(conn: Arc<Mutex<Connection>>) -> Result<Self> {
        let (sender, receiver) = channel();
        std::thread::Builder::new()
            .name("mino-sqlite-writer".to_owned())
            .spawn(move || run(&conn, &receiver))
            .map_err(|err| Error::storage("could not start the SQLite writer thread", err))?;
        Ok(WriteQueue { sender })
    }

    /// Runs `f` in a write transaction shared with the writes queued beside it: its changes
    /// are committed when it returns `Ok` (and the group commits), and rolled back when it
    /// returns an error or panics.
    pub(crate) async fn write<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Transaction<'_>) -> Result<T> + Send + 'static,
    {
        let (reply, answer) = oneshot::channel::<Result<T>>();
        let write: QueuedWrite = Box::new(move |tx| match tx.and_then(f) {
            Ok(value) => Ran {
                ok: true,
                answer: Box::new(move |committed: Result<()>| {
                    let _ = reply.send(committed.map(|()| value));
                }),
            },
            Err(err) => Ran {
                ok: false,
                answer: Box::new(move |_| {
                    let _ = reply.send(Err(err));
                }),
            },
        });
        self.sender
            .send(write)
            .map_err(|_| Error::internal("the SQLite writer thread has stopped"))?;
        // A write that panicked dropped its reply without answering.
        answer
            .await
            .map_err(|_| Error::internal("a SQLite write panicked; it was rolled back"))?
    }
}

fn run(conn: &Mutex<Connection>, queue: &Receiver<QueuedWrite>) {
    while let Ok(first) = queue.recv() {
        // A panic while the lock was held rolled its transaction back: the connection is
        // still sound.
        let mut conn = conn.lock().unwrap_or_else(PoisonError::into_inner);
        run_group(&mut conn, first, queue);
    }
    debug!("SQLite writer thread stopped");
}

/// Runs `first` and whatever else is queued (up to [`MAX_GROUP`]) in one transaction.
fn run_group(conn: &mut Connection, first: QueuedWrite, queue: &Receiver<QueuedWrite>) {
    let tx = match conn.transaction_with_behavior(TransactionBehavior::Immediate) {
        Ok(tx) => tx,
        Err(err) => {
            let failure = GroupFailure::new(err, "begin a write transaction");
            (first(Err(failure.error())).answer)(Ok(()));
            return;
        }
    };
    let mut answers = Vec::new();
    let mut next = Some(first);
    let mut failure = None;
    while let Some(write) = next.take() {
        let (ran, broken) = run_one(&tx, write);
        answers.extend(ran);
        if broken.is_some() {
            failure = broken;
            break;
        }
        if answers.len() < MAX_GROUP {
            next = queue.try_recv().ok();
        }
    }
    let outcome = match failure {
        Some(failure) => Err(failure),
        None => tx.commit().map_err(|err| GroupFailure::new(err, "commit")),
    };
    if let Err(failure) = &outcome {
        error!(error = %failure.message, writes = answers.len(), "a group of SQLite writes was rolled back");
    }
    for ran in answers {
        let result = match &outcome {
            Ok(()) => Ok(()),
            Err(failure) => Err(failure.error()),
        };
        (ran.answer)(result);
    }
}

/// Runs one write inside its own savepoint. Gives back its answer (none when it panicked:
/// its caller learns of that from the dropped reply), and a failure when the transaction
/// itself is gone.
fn run_one(tx: &Transaction<'_>, write: QueuedWrite) -> (Option<Ran>, Option<GroupFailure>) {
    if let Err(err) = tx.execute_batch("SAVEPOINT queued_write") {
        let failure = GroupFailure::new(err, "open a savepoint");
        return (Some(write(Err(failure.error()))), Some(failure));
    }
    let ran = catch_unwind(AssertUnwindSafe(|| write(Ok(tx)))).ok();
    // Some errors (a full disk, I/O errors) make SQLite roll back the whole transaction on
    // its own; then the writes before this one are lost too, and their callers must hear so.
    if tx.is_autocommit() {
        let failure = GroupFailure {
            message: "SQLite rolled back the transaction after an error".to_owned(),
            transient: true,
        };
        return (ran, Some(failure));
    }
    let end = if ran.as_ref().is_some_and(|ran| ran.ok) {
        "RELEASE queued_write"
    } else {
        "ROLLBACK TO queued_write; RELEASE queued_write"
    };
    let failure = tx
        .execute_batch(end)
        .err()
        .map(|err| GroupFailure::new(err, "close a savepoint"));
    (ran, failure)
}

/// Why a whole group failed; every write of the group gets its own copy as an error.
struct GroupFailure {
    message: String,
    transient: bool,
}

impl GroupFailure {
    fn new(err: rusqlite::Error, what: &str) -> Self {
        let mapped = map_sqlite(err, what);
        GroupFailure {
            message: mapped.message().to_owned(),
            transient: mapped.is_transient(),
        }
    }

    fn error(&self) -> Error {
        Error::new(ErrorKind::Storage, self.message.clone()).with_transient(self.transient)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn queue() -> (WriteQueue, Arc<Mutex<Connection>>) {
        let conn = Connection::open_in_memory().expect("memory db");
        conn.execute_batch("CREATE TABLE t (n INTEGER PRIMARY KEY)")
            .expect("table");
        let conn = Arc::new(Mutex::new(conn));
        (WriteQueue::spawn(Arc::clone(&conn)).expect("writer"), conn)
    }

    fn stored(conn: &Mutex<Connection>) -> Vec<i64> {
        let conn = conn.lock().expect("lock");
        let mut stmt = conn.prepare("SELECT n FROM t ORDER BY n").expect("select");
        let rows = stmt.query_map([], |r| r.get(0)).expect("rows");
        rows.collect::<rusqlite::Result<_>>().expect("values")
    }

    fn insert(tx: &Transaction<'_>, n: i64) -> Result<i64> {
        tx.execute("INSERT INTO t (n) VALUES (?1)", [n])
            .map_err(|err| map_sqlite(err, "insert"))?;
        Ok(n)
    }

    // The test holds the connection's lock across awaits on purpose: the writer thread
    // blocks on it meanwhile, so the writes queue up into one group.
    #[allow(clippy::await_holding_lock)]
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn a_failed_or_panicking_write_leaves_the_rest_of_its_group_alone() {
        let (queue, conn) = queue();
        let queue = Arc::new(queue);
        // Hold the connection so that every write queues up and they run as one group.
        let held = conn.lock().expect("lock");
        let mut tasks = Vec::new();
        for n in 0..300_i64 {
            let queue = Arc::clone(&queue);
            tasks.push(tokio::spawn(async move {
                queue
                    .write(move |tx| {
                        let n = insert(tx, n)?;
                        match n % 10 {
                            // Fails after its insert: the insert must be rolled back.
                            3 => Err(Error::validation(format!("refused {n}"))),
                            7 => panic!("write {n} panicked"),
                            _ => Ok(n),
                        }
                    })
                    .await
            }));
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        drop(held);
        let mut kept = Vec::new();
        for (n, task) in tasks.into_iter().enumerate() {
            let n = n as i64;
            match (n % 10, task.await.expect("join")) {
                (3, Err(err)) => assert_eq!(err.kind(), ErrorKind::Validation, "{err}"),
                (7, Err(err)) => assert_eq!(err.kind(), ErrorKind::Internal, "{err}"),
                (_, Ok(value)) => {
                    assert_eq!(value, n);
                    kept.push(n);
                }
                (_, other) => panic!("write {n}: unexpected {other:?}"),
            }
        }
        assert_eq!(stored(&conn), kept);
        assert_eq!(kept.len(), 240);
    }

    // Holds the connection's lock across awaits on purpose, as above.
    #[allow(clippy::await_holding_lock)]
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_write_that_loses_the_transaction_fails_its_whole_group() {
        let (queue, conn) = queue();
        let queue = Arc::new(queue);
        let held = conn.lock().expect("lock");
        let q = Arc::clone(&queue);
        let first = tokio::spawn(async move { q.write(|tx| insert(tx, 1)).await });
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        let q = Arc::clone(&queue);
        let second = tokio::spawn(async move {
            q.write(|tx| {
                // As SQLite does by itself after some I/O errors.
                tx.execute_batch("ROLLBACK")
                    .map_err(|err| map_sqlite(err, "roll back"))?;
                Ok(0)
            })
            .await
        });
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        drop(held);
        let first = first.await.expect("join");
        let second = second.await.expect("join");
        // The first write's insert went with the transaction: it must not be reported stored.
        assert_eq!(first.map_err(|e| e.kind()).err(), Some(ErrorKind::Storage));
        assert!(second.is_err());
        assert!(stored(&conn).is_empty());
        // The writer goes on with the next group.
        assert_eq!(queue.write(|tx| insert(tx, 5)).await.expect("write"), 5);
        assert_eq!(stored(&conn), vec![5]);
    }
}
