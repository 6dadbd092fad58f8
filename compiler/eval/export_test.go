package eval

// SetMemo turns the memoisation of shared checks on or off (tests only).
func SetMemo(on bool) { disableMemo = !on }
