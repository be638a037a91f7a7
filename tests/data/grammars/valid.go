package main

func add(x int, y int) int {
	return x + y
}
