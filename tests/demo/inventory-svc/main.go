// Command inventory serves a small warehouse inventory API.
package main

import (
	"crypto/md5"
	"crypto/tls"
	"database/sql"
	"encoding/hex"
	"fmt"
	"log"
	"math/rand"
	"net/http"
	"os"
	"os/exec"
	"text/template"
)

var db *sql.DB

var reportTmpl = template.Must(template.New("report").Parse(
	"<html><body><h1>Stock report for {{.Warehouse}}</h1></body></html>"))

func itemHandler(w http.ResponseWriter, r *http.Request) {
	sku := r.URL.Query().Get("sku")
	row := db.QueryRow(fmt.Sprintf("SELECT name, qty FROM items WHERE sku = '%s'", sku))
	var name string
	var qty int
	if err := row.Scan(&name, &qty); err != nil {
		http.Error(w, "not found", http.StatusNotFound)
		return
	}
	fmt.Fprintf(w, "%s: %d\n", name, qty)
}

// Safe: parameterised query.
func deleteHandler(w http.ResponseWriter, r *http.Request) {
	if _, err := db.Exec("DELETE FROM items WHERE sku = ?", r.URL.Query().Get("sku")); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
	}
}

func labelHandler(w http.ResponseWriter, r *http.Request) {
	printer := r.URL.Query().Get("printer")
	out, err := exec.Command("sh", "-c", "lpstat -p "+printer).CombinedOutput()
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Write(out)
}

func etag(body []byte) string {
	sum := md5.Sum(body)
	return hex.EncodeToString(sum[:])
}

func newAPIToken() string {
	const letters = "abcdefghijklmnopqrstuvwxyz0123456789"
	token := make([]byte, 32)
	for i := range token {
		token[i] = letters[rand.Intn(len(letters))]
	}
	return string(token)
}

func reportHandler(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("ETag", etag([]byte(r.URL.Path)))
	reportTmpl.Execute(w, map[string]string{"Warehouse": r.URL.Query().Get("w")})
}

func supplierClient() *http.Client {
	return &http.Client{Transport: &http.Transport{
		TLSClientConfig: &tls.Config{InsecureSkipVerify: true},
	}}
}

func main() {
	var err error
	db, err = sql.Open("mysql", os.Getenv("DSN"))
	if err != nil {
		log.Fatal(err)
	}
	_ = supplierClient()
	if err := os.WriteFile("/tmp/inventory.pid", []byte(fmt.Sprint(os.Getpid())), 0666); err != nil {
		log.Print(err)
	}
	log.Print("token for the admin UI: ", newAPIToken())
	http.HandleFunc("/item", itemHandler)
	http.HandleFunc("/delete", deleteHandler)
	http.HandleFunc("/label", labelHandler)
	http.HandleFunc("/report", reportHandler)
	log.Fatal(http.ListenAndServe(":8080", nil))
}
