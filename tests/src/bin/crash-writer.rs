//! A process for the crash tests: posts through the component into a SQLite store, forever,
//! printing `ok N` (flushed) after each post the addon acknowledged, until it is killed.
//!
//! Usage: `crash-writer DB_PATH FIRST_N`

use std::io::Write;

use order_messages_tests::*;

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let path = args.next().expect("DB_PATH");
    let mut n: u64 = args.next().expect("FIRST_N").parse()?;
    let platform = Platform::new().with_storage(SharedStorage::sqlite(&path)?);
    let world = Fixtures::marketplace_on(platform).build();
    let mut session = world.session()?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "ready")?;
    out.flush()?;
    let writers = [ALICE, ANNA, SAM, BOB];
    let orders = [ALICE_ACME_ORDER, BOB_ACME_ORDER, CAROL_STORE_ORDER];
    loop {
        let writer = world.actor(writers[(n % 4) as usize]);
        let order = match writer.id.as_str() {
            ALICE => ALICE_ACME_ORDER,
            BOB => BOB_ACME_ORDER,
            // Acme's user, on Acme's orders.
            ANNA => orders[(n % 2) as usize],
            _ => orders[(n % 3) as usize],
        };
        let request =
            PostRequest::new(order, format!("crash message {n}")).with_key(format!("w{n}"));
        session
            .post(&writer, &request)?
            .map_err(|e| anyhow::anyhow!(e.describe()))?;
        writeln!(out, "ok {n}")?;
        out.flush()?;
        // Reads and marks move read states, unread indexes and counters too.
        if n.is_multiple_of(5) {
            let _ = session.mark_read(&world.actor(SARA), order)?;
        }
        n += 1;
    }
}
