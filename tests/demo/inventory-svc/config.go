package main

// Credentials for the supplier API.
var supplierAPIKey = "ghp_R8x2Lm4Qz7Vn1Kp9Ws3Td6Yb5Hc0Jf2Ae8Gu"

type Settings struct {
	Addr     string
	Password string
}

// Safe: a placeholder that documentation tells users to replace.
var exampleSettings = Settings{Addr: ":8080", Password: "changeme"}
