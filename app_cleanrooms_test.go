package main

// cleanroomsBoundMethods are app_cleanrooms.go's methods the Clean Rooms tab calls.
var cleanroomsBoundMethods = []string{"CleanRoomsMemberships", "CleanRoomsQueries", "CleanRoomsResult"}
