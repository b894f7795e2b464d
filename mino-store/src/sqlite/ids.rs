//! Ids for the jobs of a new batch.
//!
//! Job lists page on `seq`, the insertion order, while their cursors name ids; the two
//! orders must agree. A batch's ids therefore start above every job id stored (even one
//! written by another process sharing the file, or under a clock that stepped back) and go
//! up by one: a monotonic UUID v7 counter (RFC 9562, method 2) that needs no randomness per
//! row, which a million-row batch would otherwise pay for with a system call each.

use rusqlite::Connection;
use uuid::Uuid;

use super::error::SqlResultExt;
use mino_core::model::JobId;
use mino_core::Result;

/// Hands out ascending job ids for one batch insert.
#[derive(Debug)]
pub(crate) struct JobIds {
    next: Uuid,
}

impl JobIds {
    /// Starts above every job id in the database, inside the caller's write transaction.
    pub(crate) fn start(conn: &Connection) -> Result<Self> {
        let max: Option<[u8; 16]> = conn
            .query_row("SELECT max(id) FROM jobs", [], |r| r.get(0))
            .db("read the largest job id")?;
        let fresh = Uuid::now_v7();
        let next = match max.map(Uuid::from_bytes) {
            Some(max) if max >= fresh => successor(max),
            _ => fresh,
        };
        Ok(JobIds { next })
    }

    /// The next id.
    pub(crate) fn next_id(&mut self) -> JobId {
        let id = self.next;
        self.next = successor(id);
        JobId(id)
    }
}

const RAND_B_BITS: u32 = 62;
const RAND_A_BITS: u32 = 12;

/// The UUID v7 right after `id`: its 48-bit timestamp, 12-bit `rand_a` and 62-bit `rand_b`
/// read as one 122-bit counter plus one, with the version and variant bits kept.
fn successor(id: Uuid) -> Uuid {
    let v = id.as_u128();
    let rand_b = v & ((1 << RAND_B_BITS) - 1);
    let rand_a = (v >> 64) & ((1 << RAND_A_BITS) - 1);
    let millis = v >> 80;
    let counter = (millis << (RAND_A_BITS + RAND_B_BITS)) | (rand_a << RAND_B_BITS) | rand_b;
    let counter = counter.wrapping_add(1) & ((1 << 122) - 1);
    let rand_b = counter & ((1 << RAND_B_BITS) - 1);
    let rand_a = (counter >> RAND_B_BITS) & ((1 << RAND_A_BITS) - 1);
    let millis = counter >> (RAND_A_BITS + RAND_B_BITS);
    Uuid::from_u128((millis << 80) | (0x7 << 76) | (rand_a << 64) | (0b10 << 62) | rand_b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn successors_ascend_and_stay_version_7() {
        let mut id = Uuid::now_v7();
        for _ in 0..1000 {
            let next = successor(id);
            assert!(next > id);
            assert_eq!(next.get_version_num(), 7);
            assert_eq!(next.get_variant(), uuid::Variant::RFC4122);
            id = next;
        }
    }

    #[test]
    fn carries_into_rand_a_and_the_timestamp() {
        let id = Uuid::from_u128(
            (5 << 80) | (0x7 << 76) | (0xfff << 64) | (0b10 << 62) | ((1 << 62) - 1),
        );
        let next = successor(id);
        assert_eq!(next.as_u128() >> 80, 6, "the timestamp went up by one");
        assert_eq!((next.as_u128() >> 64) & 0xfff, 0);
        assert_eq!(next.as_u128() & ((1 << 62) - 1), 0);
        assert_eq!(next.get_version_num(), 7);
        assert!(next > id);
    }

    #[test]
    fn start_goes_above_a_future_id() {
        let conn = Connection::open_in_memory().expect("memory db");
        conn.execute_batch("CREATE TABLE jobs (id BLOB)")
            .expect("table");
        let future = Uuid::from_u128(u128::MAX >> 1);
        conn.execute("INSERT INTO jobs VALUES (?1)", [future.as_bytes()])
            .expect("insert");
        let mut ids = JobIds::start(&conn).expect("start");
        assert!(ids.next_id().0 > future);
    }
}
