package nizepack_test

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/rogpeppe/go-internal/testscript"
)

// Commands for the bundle_*.txtar scripts that talk to the PGlite server with pgx or raw bytes:
//
//	pgwire refuse PORT        a second connection gets SQLSTATE 53300; after the first closes, a
//	                          new one connects
//	pgwire reconnect PORT N   N back-to-back connections (alternately closed with Terminate and
//	                          by dropping the socket), each preparing sqlx_s_1, creating a temp
//	                          table and setting work_mem: every connect and statement succeeds and
//	                          none sees the previous one's state
//	pgwire pool PORT N [MAX]  N concurrent queries through a pgxpool of MAX connections (default
//	                          1), every third one in a transaction that inserts and commits
//	pgwire sqlx PORT N        sqlx's naming on 5 connections at once: each prepares sqlx_s_1 and
//	                          sqlx_s_2, then runs N interleaved transactions using them (every
//	                          fourth rolled back); the committed rows are all there
//	pgwire copy PORT          COPY FROM STDIN fails with 0A000 and the connection keeps working
//	pgwire raw PORT [startup] HEX...
//	                          sends the bytes (after a valid startup with "startup"), then prints
//	                          the server's messages (E: SQLSTATE and message) until it closes the
//	                          connection, which must happen within 10 s
//	pgwire insert PORT NAME   start inserting rows (ids 1, 2, ...) into table acked, one
//	                          statement at a time, in the background, until the connection
//	                          fails; returns once 20 inserts are acknowledged
//	pgwire inserted NAME      wait for that to end; print how many inserts were acknowledged
//	pgwire checkacked PORT NAME
//	                          every acknowledged insert of NAME is in the table
//	bgproc start VAR | kill VAR
//	                          start a long-lived process, set $VAR to its PID / SIGKILL it

const pgwireTimeout = 30 * time.Second

func pgURL(port string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%s/nize?sslmode=disable&connect_timeout=10", port)
}

func cmdPgwire(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: pgwire refuse|reconnect|pool|copy|raw PORT ...")
	}
	ctx, cancel := context.WithTimeout(context.Background(), pgwireTimeout)
	defer cancel()
	port := args[1]
	switch args[0] {
	case "refuse":
		pgwireRefuse(ctx, ts, port)
	case "reconnect":
		n, err := strconv.Atoi(argAt(ts, args, 2))
		ts.Check(err)
		pgwireReconnect(ctx, ts, port, n)
	case "pool":
		n, err := strconv.Atoi(argAt(ts, args, 2))
		ts.Check(err)
		maxConns := 1
		if len(args) > 3 {
			maxConns, err = strconv.Atoi(args[3])
			ts.Check(err)
		}
		pgwirePool(ctx, ts, port, n, int32(maxConns))
	case "sqlx":
		n, err := strconv.Atoi(argAt(ts, args, 2))
		ts.Check(err)
		pgwireSqlx(ctx, ts, port, n)
	case "copy":
		pgwireCopy(ctx, ts, port)
	case "raw":
		pgwireRaw(ts, port, args[2:])
	case "insert":
		pgwireInsert(ts, port, argAt(ts, args, 2))
	case "inserted":
		pgwireInserted(ts, args[1])
	case "checkacked":
		pgwireCheckAcked(ctx, ts, port, argAt(ts, args, 2))
	default:
		ts.Fatalf("unknown pgwire subcommand %q", args[0])
	}
}

func argAt(ts *testscript.TestScript, args []string, i int) string {
	if len(args) <= i {
		ts.Fatalf("pgwire %s: missing argument %d", args[0], i)
	}
	return args[i]
}

func pgConnect(ctx context.Context, port string) (*pgx.Conn, error) {
	return pgx.Connect(ctx, pgURL(port))
}

func pgwireRefuse(ctx context.Context, ts *testscript.TestScript, port string) {
	a, err := pgConnect(ctx, port)
	ts.Check(err)
	var one int
	ts.Check(a.QueryRow(ctx, "SELECT 1").Scan(&one))
	start := time.Now()
	b, err := pgConnect(ctx, port)
	if err == nil {
		b.Close(ctx)
		ts.Fatalf("a second connection was accepted; want SQLSTATE 53300")
	}
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) {
		ts.Fatalf("second connection: %v; want an ErrorResponse with SQLSTATE 53300, not a bare error", err)
	}
	fmt.Fprintf(ts.Stdout(), "refused: %s %s: %s\n", pgErr.Severity, pgErr.Code, pgErr.Message)
	ts.Logf("refused after %v", time.Since(start).Round(time.Millisecond))
	// The first connection is unharmed.
	ts.Check(a.QueryRow(ctx, "SELECT 2").Scan(&one))
	ts.Check(a.Close(ctx))
	c, err := pgConnect(ctx, port)
	ts.Check(err)
	ts.Check(c.QueryRow(ctx, "SELECT 3").Scan(&one))
	ts.Check(c.Close(ctx))
	fmt.Fprintln(ts.Stdout(), "after close: connected")
}

func pgwireReconnect(ctx context.Context, ts *testscript.TestScript, port string, n int) {
	for i := 0; i < n; i++ {
		c, err := pgConnect(ctx, port)
		if err != nil {
			ts.Fatalf("connection %d: %v", i+1, err)
		}
		var wm string
		if err := c.QueryRow(ctx, "SHOW work_mem").Scan(&wm); err != nil {
			ts.Fatalf("connection %d: SHOW work_mem: %v", i+1, err)
		}
		if wm == "7MB" {
			ts.Fatalf("connection %d: work_mem is 7MB, set by the previous connection", i+1)
		}
		// sqlx names its statements sqlx_s_1, sqlx_s_2, ... per connection.
		if _, err := c.Prepare(ctx, "sqlx_s_1", "SELECT $1::int + 1"); err != nil {
			ts.Fatalf("connection %d: prepare sqlx_s_1: %v", i+1, err)
		}
		var got int
		if err := c.QueryRow(ctx, "sqlx_s_1", i).Scan(&got); err != nil || got != i+1 {
			ts.Fatalf("connection %d: execute sqlx_s_1: %v (got %d)", i+1, err, got)
		}
		for _, sql := range []string{"SET work_mem = '7MB'", "CREATE TEMP TABLE leak (a int)"} {
			if _, err := c.Exec(ctx, sql); err != nil {
				ts.Fatalf("connection %d: %s: %v", i+1, sql, err)
			}
		}
		if i%2 == 0 {
			ts.Check(c.Close(ctx)) // Terminate, then close
		} else {
			c.PgConn().Conn().Close() // just drop the socket
		}
	}
	fmt.Fprintf(ts.Stdout(), "%d connections: clean sessions\n", n)
}

func pgwirePool(ctx context.Context, ts *testscript.TestScript, port string, n int, maxConns int32) {
	cfg, err := pgxpool.ParseConfig(pgURL(port))
	ts.Check(err)
	cfg.MaxConns = maxConns
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	ts.Check(err)
	defer pool.Close()
	_, err = pool.Exec(ctx, "CREATE TABLE IF NOT EXISTS pooled (i int)")
	ts.Check(err)
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			var got int
			if i%3 == 0 {
				err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
					if _, err := tx.Exec(ctx, "INSERT INTO pooled VALUES ($1)", i); err != nil {
						return err
					}
					return tx.QueryRow(ctx, "SELECT $1::int * 2", i).Scan(&got)
				})
				if err != nil {
					errs <- fmt.Errorf("transaction %d: %w", i, err)
				} else if got != 2*i {
					errs <- fmt.Errorf("transaction %d: got %d", i, got)
				}
				return
			}
			if err := pool.QueryRow(ctx, "SELECT $1::int * 2", i).Scan(&got); err != nil {
				errs <- fmt.Errorf("query %d: %w", i, err)
			} else if got != 2*i {
				errs <- fmt.Errorf("query %d: got %d", i, got)
			}
		}(i)
	}
	wg.Wait()
	close(errs)
	failed := 0
	for err := range errs {
		failed++
		ts.Logf("%v", err)
	}
	if failed > 0 {
		ts.Fatalf("%d of %d pool queries failed", failed, n)
	}
	fmt.Fprintf(ts.Stdout(), "pool: %d of %d queries ok\n", n, n)
}

func pgwireSqlx(ctx context.Context, ts *testscript.TestScript, port string, n int) {
	const conns = 5
	var cs [conns]*pgx.Conn
	for i := range cs {
		c, err := pgConnect(ctx, port)
		if err != nil {
			ts.Fatalf("connection %d: %v", i+1, err)
		}
		defer c.Close(context.Background())
		cs[i] = c
	}
	_, err := cs[0].Exec(ctx, "CREATE TABLE IF NOT EXISTS sqlx_rows (conn int, i int)")
	ts.Check(err)
	_, err = cs[0].Exec(ctx, "DELETE FROM sqlx_rows")
	ts.Check(err)
	// Every connection prepares the same names, as sqlx does, before any runs them.
	for i, c := range cs {
		if _, err := c.Prepare(ctx, "sqlx_s_1", "SELECT $1::int + 1"); err != nil {
			ts.Fatalf("connection %d: prepare sqlx_s_1: %v", i+1, err)
		}
		if _, err := c.Prepare(ctx, "sqlx_s_2", "INSERT INTO sqlx_rows (conn, i) VALUES ($1, $2)"); err != nil {
			ts.Fatalf("connection %d: prepare sqlx_s_2: %v", i+1, err)
		}
	}
	var wg sync.WaitGroup
	errs := make(chan error, conns)
	committed := make([]int, conns)
	for k, c := range cs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < n; i++ {
				tx, err := c.Begin(ctx)
				if err != nil {
					errs <- fmt.Errorf("connection %d, round %d: begin: %w", k+1, i, err)
					return
				}
				var got int
				if err := tx.QueryRow(ctx, "sqlx_s_1", i).Scan(&got); err != nil || got != i+1 {
					errs <- fmt.Errorf("connection %d, round %d: sqlx_s_1: %v (got %d)", k+1, i, err, got)
					return
				}
				if _, err := tx.Exec(ctx, "sqlx_s_2", k, i); err != nil {
					errs <- fmt.Errorf("connection %d, round %d: sqlx_s_2: %w", k+1, i, err)
					return
				}
				if i%4 == 3 {
					err = tx.Rollback(ctx)
				} else {
					err = tx.Commit(ctx)
					committed[k]++
				}
				if err != nil {
					errs <- fmt.Errorf("connection %d, round %d: end: %w", k+1, i, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		ts.Fatalf("%v", err)
	}
	for k := range cs {
		var got int
		ts.Check(cs[0].QueryRow(ctx, "SELECT count(*) FROM sqlx_rows WHERE conn = $1", k).Scan(&got))
		if got != committed[k] {
			ts.Fatalf("connection %d: %d rows, want the %d committed", k+1, got, committed[k])
		}
	}
	fmt.Fprintf(ts.Stdout(), "sqlx: %d connections, %d transactions each: ok\n", conns, n)
}

func pgwireCopy(ctx context.Context, ts *testscript.TestScript, port string) {
	c, err := pgConnect(ctx, port)
	ts.Check(err)
	defer c.Close(ctx)
	_, err = c.Exec(ctx, "CREATE TABLE IF NOT EXISTS copied (a int)")
	ts.Check(err)
	_, err = c.CopyFrom(ctx, pgx.Identifier{"copied"}, []string{"a"}, pgx.CopyFromRows([][]any{{1}, {2}}))
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) {
		ts.Fatalf("COPY FROM STDIN: %v; want an ErrorResponse", err)
	}
	fmt.Fprintf(ts.Stdout(), "copy: %s %s\n", pgErr.Code, pgErr.Message)
	var n int
	ts.Check(c.QueryRow(ctx, "SELECT count(*) FROM copied").Scan(&n))
	fmt.Fprintf(ts.Stdout(), "after copy: %d rows\n", n)
}

// startupPacket is a protocol 3.0 StartupMessage for user postgres.
func startupPacket() []byte {
	body := []byte{0, 3, 0, 0}
	for _, s := range []string{"user", "postgres", "database", "nize"} {
		body = append(append(body, s...), 0)
	}
	body = append(body, 0)
	return append(binary.BigEndian.AppendUint32(nil, uint32(4+len(body))), body...)
}

func pgwireRaw(ts *testscript.TestScript, port string, args []string) {
	conn, err := net.DialTimeout("tcp", "127.0.0.1:"+port, 10*time.Second)
	ts.Check(err)
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	if len(args) > 0 && args[0] == "startup" {
		args = args[1:]
		_, err := conn.Write(startupPacket())
		ts.Check(err)
		for { // until ReadyForQuery
			t, _, err := readMsg(conn)
			if err != nil {
				ts.Fatalf("startup: %v", err)
			}
			if t == 'Z' {
				break
			}
		}
		fmt.Fprintln(ts.Stdout(), "startup: ready")
	}
	raw, err := hex.DecodeString(strings.Join(args, ""))
	ts.Check(err)
	_, err = conn.Write(raw)
	ts.Check(err)
	for {
		t, body, err := readMsg(conn)
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed) || isReset(err) {
			fmt.Fprintln(ts.Stdout(), "closed by server")
			return
		}
		if err != nil {
			ts.Fatalf("reading from the server: %v (want it to close the connection)", err)
		}
		if t == 'E' {
			fields := map[byte]string{}
			for _, f := range strings.Split(string(body), "\x00") {
				if len(f) > 1 {
					fields[f[0]] = f[1:]
				}
			}
			fmt.Fprintf(ts.Stdout(), "E %s %s: %s\n", fields['S'], fields['C'], fields['M'])
		} else {
			fmt.Fprintf(ts.Stdout(), "%c\n", t)
		}
	}
}

func isReset(err error) bool {
	return err != nil && strings.Contains(err.Error(), "connection reset")
}

func readMsg(r io.Reader) (byte, []byte, error) {
	var hdr [5]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return 0, nil, err
	}
	n := int(binary.BigEndian.Uint32(hdr[1:]))
	if n < 4 || n > 1<<20 {
		return 0, nil, fmt.Errorf("bad message length %d", n)
	}
	body := make([]byte, n-4)
	_, err := io.ReadFull(r, body)
	return hdr[0], body, err
}

func cmdBgproc(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: bgproc start|kill VAR")
	}
	switch args[0] {
	case "start":
		node, err := exec.LookPath("node")
		ts.Check(err)
		cmd := exec.Command(node, "-e", "setInterval(() => {}, 1e9)")
		ts.Check(cmd.Start())
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		ts.Defer(func() { cmd.Process.Kill(); <-done })
		ts.Setenv(args[1], strconv.Itoa(cmd.Process.Pid))
	case "kill":
		pid, err := strconv.Atoi(ts.Getenv(args[1]))
		ts.Check(err)
		p, err := os.FindProcess(pid)
		ts.Check(err)
		ts.Check(p.Kill())
	default:
		ts.Fatalf("unknown bgproc subcommand %q", args[0])
	}
}

// An inserter inserts rows until its connection fails, remembering every acknowledged id.
type inserter struct {
	done  chan struct{}
	mu    sync.Mutex
	acked []int64
	err   error
}

func (ins *inserter) count() int {
	ins.mu.Lock()
	defer ins.mu.Unlock()
	return len(ins.acked)
}

var (
	insertersMu sync.Mutex
	inserters   = map[*testscript.TestScript]map[string]*inserter{}
)

func getInserter(ts *testscript.TestScript, name string) *inserter {
	insertersMu.Lock()
	defer insertersMu.Unlock()
	ins := inserters[ts][name]
	if ins == nil {
		ts.Fatalf("no inserter %s", name)
	}
	return ins
}

func pgwireInsert(ts *testscript.TestScript, port, name string) {
	insertersMu.Lock()
	if inserters[ts] == nil {
		inserters[ts] = map[string]*inserter{}
		ts.Defer(func() {
			insertersMu.Lock()
			defer insertersMu.Unlock()
			delete(inserters, ts)
		})
	}
	prev := inserters[ts][name]
	ins := &inserter{done: make(chan struct{})}
	if prev != nil {
		<-prev.done
		ins.acked = prev.acked // rounds accumulate
	}
	inserters[ts][name] = ins
	insertersMu.Unlock()

	ctx, cancel := context.WithTimeout(context.Background(), pgwireTimeout)
	c, err := pgConnect(ctx, port)
	if err == nil {
		_, err = c.Exec(ctx, "CREATE TABLE IF NOT EXISTS acked (id bigint PRIMARY KEY)")
	}
	var next int64
	if err == nil {
		err = c.QueryRow(ctx, "SELECT coalesce(max(id), 0) + 1 FROM acked").Scan(&next)
	}
	if err != nil {
		cancel()
		ts.Fatalf("inserter %s: %v", name, err)
	}
	ts.Defer(func() { cancel(); <-ins.done })
	go func() {
		defer close(ins.done)
		defer c.Close(context.Background())
		for id := next; ; id++ {
			if _, err := c.Exec(ctx, "INSERT INTO acked (id) VALUES ($1)", id); err != nil {
				ins.err = err
				return
			}
			ins.mu.Lock()
			ins.acked = append(ins.acked, id)
			ins.mu.Unlock()
		}
	}()
	for want := ins.count() + 20; ins.count() < want; {
		select {
		case <-ins.done:
			ts.Fatalf("inserter %s stopped early: %v", name, ins.err)
		case <-time.After(10 * time.Millisecond):
		}
	}
}

func pgwireInserted(ts *testscript.TestScript, name string) {
	ins := getInserter(ts, name)
	select {
	case <-ins.done:
	case <-time.After(pgwireTimeout):
		ts.Fatalf("inserter %s still running after %v", name, pgwireTimeout)
	}
	if len(ins.acked) == 0 {
		ts.Fatalf("inserter %s: no insert acknowledged (%v)", name, ins.err)
	}
	ts.Logf("inserter %s ended with: %v", name, ins.err)
	fmt.Fprintf(ts.Stdout(), "%d inserts acknowledged\n", len(ins.acked))
}

func pgwireCheckAcked(ctx context.Context, ts *testscript.TestScript, port, name string) {
	ins := getInserter(ts, name)
	<-ins.done
	c, err := pgConnect(ctx, port)
	ts.Check(err)
	defer c.Close(ctx)
	var n int
	ts.Check(c.QueryRow(ctx, "SELECT count(*) FROM acked WHERE id = ANY($1)", ins.acked).Scan(&n))
	if n != len(ins.acked) {
		ts.Fatalf("%d of %d acknowledged inserts are missing", len(ins.acked)-n, len(ins.acked))
	}
	fmt.Fprintf(ts.Stdout(), "all %d acknowledged inserts present\n", n)
}
