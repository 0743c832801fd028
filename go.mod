module github.com/muster-bot/muster

go 1.26.8
