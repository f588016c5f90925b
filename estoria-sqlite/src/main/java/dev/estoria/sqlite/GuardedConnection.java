package dev.estoria.sqlite;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Lends one of the store's connections to caller code for one piece of work: the JDBC calls that
 * would end the store's transaction or the connection itself are refused, statements left open are
 * closed afterwards, and the loan ends when the work returns.
 */
final class GuardedConnection implements InvocationHandler {

    /** Calls that would end, redirect or reconfigure a transaction the store runs. */
    private static final Set<String> REFUSED = Set.of("close", "commit", "rollback", "setAutoCommit", "setSavepoint",
            "releaseSavepoint", "abort", "setReadOnly", "setTransactionIsolation", "setCatalog", "setSchema",
            "setNetworkTimeout", "setHoldability", "setTypeMap", "setClientInfo", "beginRequest", "endRequest");

    private final Connection target;
    private final List<Statement> statements = new ArrayList<>();
    private volatile boolean lent = true;

    private GuardedConnection(Connection target) {
        this.target = target;
    }

    /** Runs {@code work} on a guarded view of {@code target}; ends the loan when it returns or throws. */
    static <T> T run(Connection target, SqlWork<T> work) throws SQLException {
        GuardedConnection guard = new GuardedConnection(target);
        Connection view = (Connection) Proxy.newProxyInstance(Connection.class.getClassLoader(),
                new Class<?>[] {Connection.class}, guard);
        try {
            return work.run(view);
        } finally {
            guard.end();
        }
    }

    private void end() {
        lent = false;
        for (Statement statement : statements) {
            try {
                statement.close();
            } catch (SQLException ignored) {
                // Closing is cleanup; the work's outcome is already decided.
            }
        }
        statements.clear();
    }

    @Override
    public Object invoke(Object proxy, Method method, Object[] args) throws Throwable {
        String name = method.getName();
        if (method.getDeclaringClass() == Object.class) {
            return switch (name) {
                case "equals" -> proxy == args[0];
                case "hashCode" -> System.identityHashCode(proxy);
                default -> "Estoria transaction connection" + (lent ? "" : " (ended)");
            };
        }
        if (!lent) {
            throw new IllegalStateException("this connection was lent for one transaction, which has ended; "
                    + "use it only inside the work it was passed to");
        }
        if (REFUSED.contains(name)) {
            throw new UnsupportedOperationException("Connection." + name + " is not allowed here: the event store "
                    + "begins and ends this transaction and owns the connection");
        }
        if (name.equals("isWrapperFor")) {
            return ((Class<?>) args[0]).isInstance(proxy);
        }
        if (name.equals("unwrap")) {
            if (((Class<?>) args[0]).isInstance(proxy)) {
                return proxy;
            }
            throw new SQLException("the store's connection is not unwrapped: it stays under the store's control");
        }
        Object result;
        try {
            result = method.invoke(target, args);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
        if (result instanceof Statement statement) {
            statements.add(statement);
        }
        return result;
    }
}
