//! Load for field_tokio_server: CONNECTIONS blocking clients on std threads,
//! each sending a mix of SET, GET, HASH and SORT lines and reading each reply,
//! for SECONDS.
//!
//!   field_tokio_load PORT SECONDS [CONNECTIONS]
use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

fn client(port: u16, seconds: u64, id: u64) -> std::io::Result<u64> {
    let stream = TcpStream::connect(("127.0.0.1", port))?;
    stream.set_nodelay(true)?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut writer = stream;
    let start = Instant::now();
    let mut n = 0u64;
    let mut reply = String::new();
    while start.elapsed() < Duration::from_secs(seconds) {
        let line = match n % 4 {
            0 => format!("SET key{}-{} value{}\n", id, n % 512, n),
            1 => format!("GET key{}-{}\n", id, (n / 3) % 512),
            2 => format!("HASH 2000 the quick brown fox {} jumps over the lazy dog {}\n", id, n),
            _ => format!("SORT 16000 {}\n", n),
        };
        writer.write_all(line.as_bytes())?;
        reply.clear();
        if reader.read_line(&mut reply)? == 0 {
            break;
        }
        n += 1;
    }
    Ok(n)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let port: u16 = args.get(1).and_then(|s| s.parse().ok()).expect("PORT");
    let seconds: u64 = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(5);
    let conns: u64 = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(2);
    let threads: Vec<_> = (0..conns)
        .map(|id| std::thread::spawn(move || client(port, seconds, id)))
        .collect();
    let mut total = 0;
    for t in threads {
        match t.join() {
            Ok(Ok(n)) => total += n,
            Ok(Err(e)) => eprintln!("field_tokio_load: {}", e),
            Err(_) => eprintln!("field_tokio_load: a client panicked"),
        }
    }
    println!("requests {}", total);
}
