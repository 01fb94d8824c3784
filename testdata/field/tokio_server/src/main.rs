//! A small async key-value and hashing service on tokio's multi-threaded
//! runtime, the shape of many Rust services: a TcpListener accepts, each
//! connection gets a task, requests are lines ("SET k v", "GET k",
//! "HASH n text", "SORT n"), state is shared behind a tokio Mutex.
//!
//!   field_tokio_server PORT [WORKER_THREADS]
//!
//! Prints "listening PORT" once bound. Runs until killed. The load client is
//! src/bin/load.rs.
use std::collections::HashMap;
use std::sync::Arc;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Mutex;

type Store = Arc<Mutex<HashMap<String, String>>>;

#[inline(never)]
fn hash_text(rounds: u32, text: &str) -> u64 {
    let mut h = 0xcbf2_9ce4_8422_2325u64;
    for r in 0..rounds {
        for b in text.bytes() {
            h = (h ^ u64::from(b) ^ u64::from(r)).wrapping_mul(0x100_0000_01b3);
        }
    }
    h
}

#[inline(never)]
fn sort_numbers(n: usize, seed: u64) -> u64 {
    let mut x = seed | 1;
    let mut v: Vec<u64> = (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        })
        .collect();
    v.sort_unstable();
    v.iter().step_by(97).fold(0, |a, b| a ^ b)
}

async fn handle(stream: TcpStream, store: Store) -> std::io::Result<()> {
    stream.set_nodelay(true)?;
    let (rd, mut wr) = stream.into_split();
    let mut lines = BufReader::new(rd).lines();
    while let Some(line) = lines.next_line().await? {
        let mut parts = line.splitn(3, ' ');
        let reply = match (parts.next(), parts.next(), parts.next()) {
            (Some("SET"), Some(k), Some(v)) => {
                store.lock().await.insert(k.to_string(), v.to_string());
                "OK".to_string()
            }
            (Some("GET"), Some(k), _) => {
                store.lock().await.get(k).cloned().unwrap_or_else(|| "NONE".to_string())
            }
            (Some("HASH"), Some(n), Some(text)) => {
                let rounds = n.parse().unwrap_or(1).min(10_000);
                format!("{:016x}", hash_text(rounds, text))
            }
            (Some("SORT"), Some(n), _) => {
                let n = n.parse().unwrap_or(1).min(1_000_000);
                let seed = line.len() as u64;
                // CPU-heavy work off the reactor threads, as a real service does.
                let r = tokio::task::spawn_blocking(move || sort_numbers(n, seed)).await.unwrap_or(0);
                format!("{:016x}", r)
            }
            _ => "ERR".to_string(),
        };
        let mut reply = reply.into_bytes();
        reply.push(b'\n');
        wr.write_all(&reply).await?;
    }
    Ok(())
}

fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let port: u16 = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(7900);
    let workers: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(2);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers)
        .enable_all()
        .build()?;
    rt.block_on(async move {
        let listener = TcpListener::bind(("127.0.0.1", port)).await?;
        println!("listening {}", listener.local_addr()?.port());
        let store: Store = Arc::new(Mutex::new(HashMap::new()));
        loop {
            let (stream, _) = listener.accept().await?;
            let store = Arc::clone(&store);
            tokio::spawn(async move {
                let _ = handle(stream, store).await;
            });
        }
    })
}
