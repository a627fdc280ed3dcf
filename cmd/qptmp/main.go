package main

import (
	"database/sql"
	"fmt"
	"os"
	"time"

	_ "modernc.org/sqlite"
)

func main() {
	db, _ := sql.Open("sqlite", "file:"+os.Args[1])
	for _, q := range os.Args[2:] {
		t := time.Now()
		r, err := db.Query(q)
		if err != nil {
			fmt.Println(q, err)
			continue
		}
		n := 0
		var first any
		cols, _ := r.Columns()
		for r.Next() {
			if n == 0 && len(cols) == 1 {
				r.Scan(&first)
			}
			n++
		}
		r.Close()
		fmt.Printf("%-120.120s rows %d first %v  %s\n", q, n, first, time.Since(t))
	}
}
